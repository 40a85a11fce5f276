using FedPrompt.Formats.Checkpoints;
using FedPrompt.Tuning.Encoders;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPrompt.Tuning.Artefacts;

/// <summary>A prompt encoder's parameters — or tensors shaped like them, such as an optimizer's
/// moments — as safetensors entries (fp32), and back, checked by name, shape and dtype.</summary>
public static class EncoderWeights
{
    public static List<SafeTensorsEntry> Entries(PromptEncoder encoder, string prefix = "") =>
        Entries(encoder.named_parameters().Select(p => (p.name, (Tensor)p.parameter)), prefix);

    /// <summary>Each tensor under <paramref name="prefix"/> + its name.</summary>
    public static List<SafeTensorsEntry> Entries(IEnumerable<(string Name, Tensor Value)> tensors, string prefix) =>
        tensors.Select(t => new SafeTensorsEntry(prefix + t.Name, StoredDType.F32, t.Value.shape, stream =>
        {
            using var scope = NewDisposeScope();
            stream.Write(t.Value.detach().contiguous().bytes);
        })).ToList();

    /// <summary>Copies <paramref name="source"/>'s tensors (under <paramref name="prefix"/>) into the
    /// encoder; every parameter must be there with its exact shape in fp32, and nothing else.</summary>
    public static void Load(PromptEncoder encoder, ITensorSource source, string origin, string prefix = "") =>
        Load(encoder.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter), source, prefix, origin,
            $"a {encoder.Settings.Type.ToString().ToLowerInvariant()} prompt encoder");

    /// <summary>Copies the tensors named <paramref name="prefix"/> + a target's name into the targets;
    /// every target must be there with its exact shape in fp32, and nothing else under the prefix.</summary>
    /// <param name="widenHalf">Also take F16 and BF16 tensors, widened: files from elsewhere (PEFT adapters
    /// saved from a 16-bit model); what FedPrompt itself writes and sends is always fp32.</param>
    public static void Load(IReadOnlyDictionary<string, Tensor> targets, ITensorSource source, string prefix, string origin, string what, bool widenHalf = false)
    {
        var stored = source.Tensors.Where(t => t.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(t => t.Key[prefix.Length..], t => t.Value);
        var problems = new List<string>();
        var missing = targets.Keys.Where(n => !stored.ContainsKey(n)).ToList();
        if (missing.Count > 0) problems.Add($"missing {string.Join(", ", missing.Select(n => prefix + n))}");
        var extra = stored.Keys.Where(n => !targets.ContainsKey(n)).ToList();
        if (extra.Count > 0) problems.Add($"unexpected {string.Join(", ", extra.Select(n => prefix + n))}");
        foreach (var (name, tensor) in stored)
        {
            if (!targets.TryGetValue(name, out var target)) continue;
            bool typeFits = tensor.DType == StoredDType.F32 || (widenHalf && tensor.DType is StoredDType.F16 or StoredDType.BF16);
            if (!typeFits || !tensor.Shape.SequenceEqual(target.shape))
                problems.Add($"{tensor.Describe()} should be {(widenHalf ? "F32, F16 or BF16 " : "F32")}[{string.Join(", ", target.shape)}]");
        }
        if (problems.Count > 0)
            throw new InvalidDataException($"{origin}: the tensors do not fit {what}: {string.Join("; ", problems)}");

        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        // Everything is read and checked before anything is copied: a bad file leaves the targets as they were.
        var values = targets.ToDictionary(t => t.Key, t =>
        {
            var tensor = stored[t.Key];
            var raw = empty(t.Value.shape, tensor.DType switch { StoredDType.F16 => ScalarType.Float16, StoredDType.BF16 => ScalarType.BFloat16, _ => ScalarType.Float32 });
            tensor.ReadInto(raw.bytes);
            var value = raw.to_type(ScalarType.Float32);
            if (!value.isfinite().all().item<bool>())
                throw new InvalidDataException($"{origin}: {prefix + t.Key} holds NaN or infinite values");
            return value;
        });
        foreach (var (name, target) in targets) target.copy_(values[name]);
    }
}
