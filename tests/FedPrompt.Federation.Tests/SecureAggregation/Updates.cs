using FedPrompt.Federation.Aggregation;
using FedPrompt.Federation.Models;
using FedPrompt.Federation.SecureAggregation;
using FedPrompt.Formats.Checkpoints;

namespace FedPrompt.Federation.Tests.SecureAggregation;

/// <summary>Random weight differences in a prompt encoder's layout, and the plain FedAvg they should give.</summary>
internal static class Updates
{
    /// <summary>Names deliberately out of ordinal order, so the mask order (by name) differs from the model's.</summary>
    static readonly (string Name, long[] Shape)[] Layout =
    [
        ("prompt_encoder.mlp_head.2.weight", [32, 64]),
        ("prompt_encoder.embedding.weight", [10, 32]),
        ("prompt_encoder.mlp_head.0.bias", [64]),
        ("prompt_encoder.mlp_head.0.weight", [64, 32]),
    ];

    public static ModelState Random(Random rng, float magnitude) =>
        new(Layout.Select(t => new NamedTensor(t.Name, t.Shape,
            Enumerable.Range(0, (int)t.Shape.Aggregate(1L, (a, b) => a * b)).Select(_ => (float)((rng.NextDouble() * 2 - 1) * magnitude)).ToArray())).ToList());

    public static ModelState Zero() => Random(new Random(0), 0f);

    public static ModelState Constant(float value) =>
        new(Zero().Tensors.Select(t => t with { Values = Enumerable.Repeat(value, t.Values.Length).ToArray() }).ToList());

    /// <summary>What the server computes today, in the clear.</summary>
    public static ModelState PlainFedAvg(ModelState global, IEnumerable<(ModelState Difference, long Weight)> updates)
    {
        var round = new FedAvg().BeginRound(global, "job", 0);
        foreach (var (difference, weight) in updates)
        {
            using var source = SafeTensorsFile.Open(new MemoryStream(difference.ToBytes()), "difference");
            round.Add(source, weight);
        }
        return round.Finish();
    }

    public static IEnumerable<ulong> Words(MaskedUpdate update) => update.Tensors.SelectMany(t => t.Values);
}
