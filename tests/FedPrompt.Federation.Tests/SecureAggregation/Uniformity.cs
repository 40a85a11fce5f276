namespace FedPrompt.Federation.Tests.SecureAggregation;

/// <summary>
/// Cheap checks that 64-bit words look uniformly random: every bit position is set about half the
/// time, and the bytes fill their 256 values evenly. Thresholds sit about six standard deviations out,
/// so a uniform source fails about once in 10^8 runs while a structured one (fixed-point values of a
/// model update, whose high bits are all 0 or all 1) fails at once.
/// </summary>
internal static class Uniformity
{
    public static void AssertLooksUniform(IReadOnlyCollection<ulong> words)
    {
        double n = words.Count;
        Assert.True(n >= 4096, "too few words for a meaningful test");
        for (int bit = 0; bit < 64; bit++)
        {
            long ones = words.LongCount(w => ((w >> bit) & 1) != 0);
            double z = (ones - n / 2) / Math.Sqrt(n / 4);
            Assert.True(Math.Abs(z) < 6, $"bit {bit} is set in {ones} of {n} words (z = {z:F1})");
        }

        var counts = new long[256];
        foreach (var word in words)
            for (int b = 0; b < 8; b++) counts[(word >> (8 * b)) & 0xff]++;
        double expected = n * 8 / 256;
        double chiSquare = counts.Sum(c => (c - expected) * (c - expected) / expected);
        // 255 degrees of freedom: mean 255, standard deviation √510 ≈ 22.6.
        Assert.True(chiSquare < 255 + 6 * Math.Sqrt(510), $"byte histogram χ² = {chiSquare:F0} with 255 degrees of freedom");
    }
}
