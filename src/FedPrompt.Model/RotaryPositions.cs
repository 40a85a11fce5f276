using static TorchSharp.torch;

namespace FedPrompt.Model;

/// <summary>
/// Rotary position embeddings in Hugging Face's rotate-half convention: a head's dimensions i and
/// i + d/2 form a pair rotated by position × frequency i, frequency i = θ^(−2i/d), optionally
/// rescaled for long contexts (linear: every frequency divided by the factor; Llama 3: only the low
/// frequencies, blending smoothly into the unchanged high ones).
/// </summary>
public sealed class RotaryPositions
{
    readonly float[] _frequencies;

    public RotaryPositions(LlamaConfig config)
    {
        int d = config.HeadSize;
        _frequencies = Enumerable.Range(0, d / 2)
            .Select(i => (float)Scaled(1.0 / Math.Pow(config.RopeTheta, 2.0 * i / d), config.Rope))
            .ToArray();
    }

    /// <summary>The frequencies in radians per position (what tests compare against the reference rule).</summary>
    public IReadOnlyList<float> Frequencies => _frequencies;

    static double Scaled(double frequency, RopeScaling rope)
    {
        switch (rope.Type)
        {
            case RopeScalingType.Linear:
                return frequency / rope.Factor;
            case RopeScalingType.Llama3:
                double wavelength = 2 * Math.PI / frequency;
                double longest = rope.OriginalPositions / rope.LowFrequencyFactor;
                double shortest = rope.OriginalPositions / rope.HighFrequencyFactor;
                if (wavelength < shortest) return frequency;
                if (wavelength > longest) return frequency / rope.Factor;
                double smooth = (rope.OriginalPositions / wavelength - rope.LowFrequencyFactor) / (rope.HighFrequencyFactor - rope.LowFrequencyFactor);
                return (1 - smooth) * frequency / rope.Factor + smooth * frequency;
            default:
                return frequency;
        }
    }

    /// <summary>The rotation of positions [length] or [batch, length].</summary>
    public Rotation At(Tensor positionIds)
    {
        var angles = positionIds.to_type(ScalarType.Float32).unsqueeze(-1) * tensor(_frequencies, device: positionIds.device);
        var both = cat([angles, angles], -1);
        // [length, d] broadcasts over [batch, heads, length, d]; [batch, length, d] needs the heads axis.
        if (positionIds.dim() == 2) both = both.unsqueeze(1);
        return new Rotation(both.cos(), both.sin());
    }
}

/// <summary>cos and sin of each position's angles, [length, d] or [batch, 1, length, d].</summary>
public readonly record struct Rotation(Tensor Cos, Tensor Sin)
{
    /// <summary>Rotates queries or keys [batch, heads, length, d], in fp32.</summary>
    public Tensor Apply(Tensor x)
    {
        var wide = x.to_type(ScalarType.Float32);
        long half = wide.shape[^1] / 2;
        var rotatedHalf = cat([wide[.., .., .., (int)half..].neg(), wide[.., .., .., ..(int)half]], -1);
        return wide * Cos + rotatedHalf * Sin;
    }
}
