using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedPrompt.Model;

/// <summary>Root-mean-square normalisation over the last dimension, with a learned scale (no mean
/// subtraction, no bias). Always fp32, input widened first: the mean of hundreds of squares needs
/// more than bf16's 8 bits, as a LayerNorm's statistics do.</summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    readonly Parameter _weight;
    readonly double _epsilon;

    public RmsNorm(long size, double epsilon) : base("rms_norm")
    {
        _epsilon = epsilon;
        _weight = new Parameter(ones(size));
        register_parameter("weight", _weight);
    }

    public override Tensor forward(Tensor x)
    {
        using var epsilon = _epsilon.ToScalar(); // held: see Decoder.Attend
        var wide = x.to_type(ScalarType.Float32);
        return wide * wide.pow(2).mean([-1], keepdim: true).add(epsilon).rsqrt() * _weight;
    }
}
