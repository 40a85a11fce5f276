using FedPrompt.Federation.Models;

namespace FedPrompt.Federation.Privacy;

/// <summary>
/// Bounds an update's global L2 norm — over all its tensors together, as one vector — by the clip
/// norm C, which is what makes one site's influence on a sum at most C. Norms are summed in double:
/// fp32 squares are exact in double, so the only error is the summation's, far below the margin
/// <see cref="ClipResult"/> keeps.
/// </summary>
public static class UpdateClipper
{
    public static double Norm(ModelState update)
    {
        double sum = 0;
        foreach (var tensor in update.Tensors) sum += SumOfSquares(tensor.Values);
        return Math.Sqrt(sum);
    }

    /// <summary>Scales <paramref name="update"/> in place so that its norm is at most
    /// <paramref name="clipNorm"/>; an update already within the bound is left bit for bit as it was.</summary>
    public static ClipResult Clip(ModelState update, double clipNorm)
    {
        var result = ClipResult.For(Norm(update), clipNorm);
        if (result.Clipped)
            foreach (var tensor in update.Tensors)
                foreach (ref float value in tensor.Values.AsSpan()) value = (float)(value * result.Scale);
        return result;
    }

    internal static double SumOfSquares(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (float value in values) sum += (double)value * value;
        return sum;
    }
}
