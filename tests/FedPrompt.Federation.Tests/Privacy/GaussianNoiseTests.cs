using FedPrompt.Federation.Privacy;

namespace FedPrompt.Federation.Tests.Privacy;

public sealed class GaussianNoiseTests
{
    const int Samples = 1_000_000;
    const double Sigma = 2.5;

    static double[] Draw(GaussianNoise noise, int count, double sigma)
    {
        var values = new double[count];
        noise.AddTo(values, sigma);
        return values;
    }

    static GaussianNoise Stream(ulong seed, string job = "job-1", int round = 0, string participant = "server") =>
        NoiseKey.FromSeed(seed).Stream(job, round, participant);

    [Fact]
    public void MillionDrawsHaveTheConfiguredMeanSpreadAndShape()
    {
        using var noise = Stream(seed: 20240611);
        var x = Draw(noise, Samples, Sigma);

        // Mean: standard error σ/√n; a 5-sigma bound fails by chance with probability 6e-7.
        double mean = x.Average();
        Assert.True(Math.Abs(mean) <= 5 * Sigma / Math.Sqrt(Samples), $"mean {mean}");
        // Standard deviation: for normal data s/σ has standard error about 1/√(2n).
        double sd = Math.Sqrt(x.Sum(v => (v - mean) * (v - mean)) / (Samples - 1));
        Assert.True(Math.Abs(sd / Sigma - 1) <= 5 / Math.Sqrt(2.0 * Samples), $"standard deviation {sd}, expected {Sigma}");

        // Shape: Kolmogorov–Smirnov distance to N(0, σ²). By the Dvoretzky–Kiefer–Wolfowitz
        // inequality (Massart's constant) P(D > t) ≤ 2 exp(−2 n t²); t below gives 1e-6.
        Array.Sort(x);
        double distance = 0;
        for (int i = 0; i < Samples; i++)
        {
            double cdf = 0.5 * ErrorFunction.Erfc(-x[i] / (Sigma * Math.Sqrt(2)));
            distance = Math.Max(distance, Math.Max((i + 1.0) / Samples - cdf, cdf - (double)i / Samples));
        }
        double critical = Math.Sqrt(Math.Log(2 / 1e-6) / (2.0 * Samples));
        Assert.True(distance <= critical, $"KS distance {distance}, critical {critical}");

        // Tails, which KS hardly sees and which the privacy analysis relies on: counts beyond 3σ and
        // 4σ within 5 binomial standard deviations of their expectation.
        foreach (double k in new[] { 3.0, 4.0 })
        {
            double p = ErrorFunction.Erfc(k / Math.Sqrt(2));
            double expected = Samples * p, spread = 5 * Math.Sqrt(Samples * p * (1 - p));
            int count = x.Count(v => Math.Abs(v) > k * Sigma);
            Assert.True(Math.Abs(count - expected) <= spread, $"{count} draws beyond {k}σ, expected {expected:F0} ± {spread:F0}");
        }
    }

    [Fact]
    public void TheSameKeyAndStreamReproduceTheNoiseAndAnyOtherChangesIt()
    {
        double[] Sample(GaussianNoise noise) { using (noise) return Draw(noise, 5000, 1); }

        var reference = Sample(Stream(seed: 7));

        Assert.Equal(reference, Sample(Stream(seed: 7)));
        Assert.Equal(reference, Sample(NoiseKey.FromBytes(NoiseKey.FromSeed(7).ToBytes()).Stream("job-1", 0, "server")));
        foreach (var other in new[] { Stream(seed: 8), Stream(7, job: "job-2"), Stream(7, round: 1), Stream(7, participant: "site-1") })
        {
            var values = Sample(other);
            Assert.True(values.Zip(reference).Count(p => p.First == p.Second) < 5, "independent streams share draws");
        }
        var fresh = Sample(NoiseKey.CreateRandom().Stream("job-1", 0, "server"));
        Assert.NotEqual(reference, fresh);
    }

    [Fact]
    public void DrawsContinueAcrossCallsAndTheFloatPathAddsTheSameDraws()
    {
        using var whole = Stream(seed: 11);
        var all = Draw(whole, 3000, 0.5);

        using var pieces = Stream(seed: 11);
        var first = Draw(pieces, 1000, 0.5);
        var floats = Enumerable.Repeat(1f, 2000).ToArray();
        pieces.AddTo(floats, 0.5);

        Assert.Equal(all[..1000], first);
        Assert.Equal(all[1000..].Select(v => (float)(1 + v)), floats);
    }

    [Fact]
    public void ZeroStandardDeviationAddsNothingAndBadOnesAreRefused()
    {
        using var noise = Stream(seed: 1);
        var values = new[] { 1.5, -2.0 };
        noise.AddTo(values, 0);
        Assert.Equal([1.5, -2.0], values);
        foreach (double bad in new[] { -1, double.NaN, double.PositiveInfinity })
            Assert.Throws<ArgumentOutOfRangeException>(() => noise.AddTo(values, bad));
    }

    [Fact]
    public void KeysMustHaveTheirFullLength()
    {
        var error = Assert.Throws<ArgumentException>(() => NoiseKey.FromBytes(new byte[16]));
        Assert.Contains("32 bytes", error.Message);
        Assert.Throws<ArgumentException>(() => new GaussianNoise(new byte[31]));
    }
}
