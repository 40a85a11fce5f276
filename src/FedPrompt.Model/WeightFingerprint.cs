using System.Security.Cryptography;
using System.Text;
using static TorchSharp.torch;

namespace FedPrompt.Model;

/// <summary>
/// SHA-256 over every weight's name, shape and fp32 values, in the model's parameter order. Values
/// are hashed in fp32 whatever the model holds, so that a checkpoint keeps the identity it had
/// before bf16 existed and encoders trained then still load.
/// </summary>
public sealed class WeightFingerprint : IDisposable
{
    readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public void Add(string name, Tensor value)
    {
        using var scope = NewDisposeScope();
        _sha.AppendData(Encoding.UTF8.GetBytes($"{name}[{string.Join(",", value.shape)}]"));
        _sha.AppendData(value.detach().to_type(ScalarType.Float32).contiguous().bytes);
    }

    public string Finish() => Convert.ToHexString(_sha.GetHashAndReset()).ToLowerInvariant();

    /// <summary>The fingerprint of the weights as the network holds them.</summary>
    public static string Of(Decoder network)
    {
        using var fingerprint = new WeightFingerprint();
        foreach (var (name, parameter) in network.named_parameters()) fingerprint.Add(name, parameter);
        return fingerprint.Finish();
    }

    public void Dispose() => _sha.Dispose();
}
