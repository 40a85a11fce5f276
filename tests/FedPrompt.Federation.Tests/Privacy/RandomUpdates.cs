using FedPrompt.Federation.Models;
using FedPrompt.Formats.Checkpoints;

namespace FedPrompt.Federation.Tests.Privacy;

/// <summary>Updates shaped like a small prompt encoder's (several tensors), with a chosen global norm.</summary>
static class RandomUpdates
{
    static readonly (string Name, long[] Shape)[] Layout =
        [("embedding.weight", [4, 8]), ("mlp.0.weight", [8, 8]), ("mlp.0.bias", [8]), ("mlp.2.weight", [8, 8])];

    public static ModelState WithNorm(double norm, int seed)
    {
        var random = new Random(seed);
        var update = new ModelState(Layout.Select(t =>
            new NamedTensor(t.Name, t.Shape, Enumerable.Range(0, (int)t.Shape.Aggregate(1L, (a, b) => a * b))
                .Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray())).ToList());
        double scale = norm / UpdateNormInDouble(update);
        foreach (var tensor in update.Tensors)
            for (int i = 0; i < tensor.Values.Length; i++) tensor.Values[i] = (float)(tensor.Values[i] * scale);
        return update;
    }

    public static ModelState Zeros() =>
        new(Layout.Select(t => new NamedTensor(t.Name, t.Shape, new float[(int)t.Shape.Aggregate(1L, (a, b) => a * b)])).ToList());

    /// <summary>The norm recomputed independently of the code under test.</summary>
    public static double UpdateNormInDouble(ModelState update) =>
        Math.Sqrt(update.Tensors.SelectMany(t => t.Values).Sum(v => (double)v * v));

    /// <summary>The update as the server receives it: safetensors bytes.</summary>
    public static ITensorSource AsReceived(ModelState update, string origin) =>
        SafeTensorsFile.Open(new MemoryStream(update.ToBytes(), writable: false), origin);
}
