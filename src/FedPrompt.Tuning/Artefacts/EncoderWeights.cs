using FedPrompt.Model.Checkpoints;
using FedPrompt.Tuning.Encoders;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPrompt.Tuning.Artefacts;

/// <summary>A prompt encoder's parameters as safetensors entries (fp32), and back, checked by name, shape and dtype.</summary>
public static class EncoderWeights
{
    public static List<SafeTensorsEntry> Entries(PromptEncoder encoder) =>
        encoder.named_parameters().Select(p =>
        {
            var (name, parameter) = p;
            return new SafeTensorsEntry(name, StoredDType.F32, parameter.shape, stream =>
            {
                using var scope = NewDisposeScope();
                stream.Write(parameter.detach().contiguous().bytes);
            });
        }).ToList();

    /// <summary>Copies <paramref name="source"/>'s tensors into the encoder; every parameter must be
    /// there with its exact shape in fp32, and nothing else.</summary>
    public static void Load(PromptEncoder encoder, ITensorSource source, string origin)
    {
        var parameters = encoder.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var problems = new List<string>();
        var missing = parameters.Keys.Where(n => !source.Tensors.ContainsKey(n)).ToList();
        if (missing.Count > 0) problems.Add($"missing {string.Join(", ", missing)}");
        var extra = source.Tensors.Keys.Where(n => !parameters.ContainsKey(n)).ToList();
        if (extra.Count > 0) problems.Add($"unexpected {string.Join(", ", extra)}");
        foreach (var (name, stored) in source.Tensors)
        {
            if (!parameters.TryGetValue(name, out var parameter)) continue;
            if (stored.DType != StoredDType.F32 || !stored.Shape.SequenceEqual(parameter.shape))
                problems.Add($"{stored.Describe()} should be F32[{string.Join(", ", parameter.shape)}]");
        }
        if (problems.Count > 0)
            throw new InvalidDataException($"{origin}: the tensors do not fit a {encoder.Settings.Type.ToString().ToLowerInvariant()} prompt encoder: {string.Join("; ", problems)}");

        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        // Everything is read and checked before anything is copied: a bad file leaves the encoder as it was.
        var values = parameters.ToDictionary(p => p.Key, p =>
        {
            var value = empty(p.Value.shape, ScalarType.Float32);
            source.Tensors[p.Key].ReadInto(value.bytes);
            if (!value.isfinite().all().item<bool>())
                throw new InvalidDataException($"{origin}: {p.Key} holds NaN or infinite values");
            return value;
        });
        foreach (var (name, parameter) in parameters) parameter.copy_(values[name]);
    }
}
