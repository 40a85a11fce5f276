using FedPrompt.Formats.Settings;
using static TorchSharp.torch;

namespace FedPrompt.Model;

/// <summary>The libtorch element type for a <see cref="Precision"/>; apart from <see cref="Precision"/> itself,
/// which the torch-free job files name.</summary>
public static class PrecisionScalarTypes
{
    public static ScalarType ScalarType(this Precision precision) =>
        precision.Resolve() == Precision.Bf16 ? TorchSharp.torch.ScalarType.BFloat16 : TorchSharp.torch.ScalarType.Float32;
}
