using FedPrompt.Formats.Checkpoints;

using static TorchSharp.torch;

namespace FedPrompt.Model.Checkpoints;

/// <summary>How a stored tensor becomes the model's parameter.</summary>
public enum WeightTransform
{
    None,
    /// <summary>Hugging Face Conv1D weights are stored [in, out]; the model's Linear weights are [out, in].</summary>
    Transpose,
    /// <summary>Megatron's fused QKV rows are interleaved per head ([q₀ k₀ v₀ q₁ k₁ v₁ …]); the model wants [q | k | v].</summary>
    MegatronQkv,
}

public sealed record MappedWeight(StoredTensor Stored, WeightTransform Transform)
{
    public long[] ModelShape => Transform == WeightTransform.Transpose ? Stored.Shape.Reverse().ToArray() : Stored.Shape;
}

/// <summary>Copies a checkpoint's tensors into a model's parameters, one tensor at a time.</summary>
public static class WeightLoader
{
    /// <returns>The <see cref="WeightFingerprint"/> of the weights as read when the model rounds them
    /// (bf16), else null: an fp32 model's own parameters give the same fingerprint, when it is asked for.</returns>
    public static string? Load(Decoder model, IReadOnlyDictionary<string, MappedWeight> weights, IReadOnlyCollection<string> unexpected, string origin)
    {
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var problems = new List<string>();
        var missing = parameters.Keys.Where(n => !weights.ContainsKey(n)).ToList();
        if (missing.Count > 0) problems.Add($"missing tensors: {string.Join(", ", missing)}");
        var extra = unexpected.Concat(weights.Keys.Where(n => !parameters.ContainsKey(n))).ToList();
        if (extra.Count > 0) problems.Add($"unexpected tensors: {string.Join(", ", extra)}");
        var misShaped = weights
            .Where(w => parameters.TryGetValue(w.Key, out var p) && !p.shape.SequenceEqual(w.Value.ModelShape))
            .Select(w => $"{w.Value.Stored.Name} is [{string.Join(", ", w.Value.Stored.Shape)}], the config needs [{string.Join(", ", ExpectedStoredShape(parameters[w.Key].shape, w.Value.Transform))}]")
            .ToList();
        if (misShaped.Count > 0) problems.Add($"mis-shaped tensors: {string.Join("; ", misShaped)}");
        if (problems.Count > 0)
            throw new InvalidDataException($"{origin}: the weights do not match the config ({model.Config.Describe()}): {string.Join(". ", problems)}");

        using var noGrad = no_grad();
        // Hashing every weight costs about a second at 345M, spent only where rounding would lose them.
        using var fingerprint = model.WeightType == ScalarType.Float32 ? null : new WeightFingerprint();
        foreach (var (name, parameter) in parameters)
        {
            using var scope = NewDisposeScope();
            var mapped = weights[name];
            var value = Read(mapped.Stored, origin);
            value = mapped.Transform switch
            {
                WeightTransform.Transpose => value.t(),
                WeightTransform.MegatronQkv => MegatronQkvToSplit(value, model.Config.Heads),
                _ => value,
            };
            fingerprint?.Add(name, value);
            parameter.copy_(value);
        }
        return fingerprint?.Finish();
    }

    static long[] ExpectedStoredShape(long[] modelShape, WeightTransform transform) =>
        transform == WeightTransform.Transpose ? modelShape.Reverse().ToArray() : modelShape;

    /// <summary>A stored tensor as a float32 torch tensor (fp16/bf16 on disk are widened).</summary>
    public static Tensor Read(StoredTensor stored, string origin)
    {
        var dtype = stored.DType switch
        {
            StoredDType.F32 => ScalarType.Float32,
            StoredDType.F16 => ScalarType.Float16,
            StoredDType.BF16 => ScalarType.BFloat16,
            StoredDType.F64 => ScalarType.Float64,
            _ => throw new InvalidDataException($"{origin}: {stored.Describe()}: only floating-point weights (F32, F16, BF16, F64) can be loaded"),
        };
        var tensor = empty(stored.Shape, dtype);
        stored.ReadInto(tensor.bytes);
        return dtype == ScalarType.Float32 ? tensor : tensor.to_type(ScalarType.Float32);
    }

    /// <summary>[heads·3·head size, …] with rows grouped per head as (q, k, v) → [3·heads·head size, …] as [q | k | v].</summary>
    public static Tensor MegatronQkvToSplit(Tensor qkv, int heads)
    {
        var rest = qkv.shape.Skip(1).ToArray();
        long headSize = qkv.shape[0] / (3 * heads);
        var perHead = qkv.reshape([heads, 3, headSize, .. rest]);
        return perHead.transpose(0, 1).reshape(qkv.shape);
    }
}
