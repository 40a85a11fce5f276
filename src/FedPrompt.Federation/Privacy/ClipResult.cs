namespace FedPrompt.Federation.Privacy;

/// <summary>What clipping one update did: its L2 norm before (for logging and for choosing the clip
/// norm) and the factor its values were multiplied by (1 when it was within the bound).</summary>
public readonly record struct ClipResult(double Norm, double Scale)
{
    /// <summary>Scaled updates land this far (2⁻²², relative) inside the bound so that rounding the
    /// scaled values to fp32 (≤ 2⁻²⁴ each) and the double-precision norm's own error (below 2⁻²⁵ for
    /// fewer than 2²⁸ values) cannot push the norm past it: the bound is the mechanism's sensitivity,
    /// and must hold exactly, not roughly.</summary>
    const double Margin = 1 - 1.0 / (1 << 22);

    public bool Clipped => Scale < 1;

    public static ClipResult For(double norm, double clipNorm)
    {
        if (!(clipNorm > 0 && double.IsFinite(clipNorm)))
            throw new ArgumentOutOfRangeException(nameof(clipNorm), clipNorm, "the clip norm must be finite and > 0");
        if (!double.IsFinite(norm))
            throw new ArgumentException($"the update's L2 norm is {norm}: it has non-finite values and cannot be clipped");
        return new ClipResult(norm, norm > clipNorm ? clipNorm / norm * Margin : 1);
    }
}
