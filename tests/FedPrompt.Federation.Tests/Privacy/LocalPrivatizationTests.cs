using FedPrompt.Federation.Privacy;

namespace FedPrompt.Federation.Tests.Privacy;

public sealed class LocalPrivatizationTests
{
    static readonly PrivacySettings Local = new() { Mode = PrivacyMode.Local, ClipNorm = 0.5, NoiseMultiplier = 1.5 };

    [Fact]
    public void TheSiteClipsThenAddsNoiseOfZTimesC()
    {
        var update = RandomUpdates.WithNorm(4, seed: 1);
        var clipped = update.Clone();
        UpdateClipper.Clip(clipped, Local.ClipNorm);

        using var noise = NoiseKey.FromSeed(3).Stream("job", 2, "site-1");
        var result = LocalPrivatization.Privatize(update, Local, noise);

        Assert.True(result.Clipped);
        Assert.Equal(4, result.Norm, 1e-5);
        using var sameNoise = NoiseKey.FromSeed(3).Stream("job", 2, "site-1");
        foreach (var (actual, expected) in update.Tensors.Zip(clipped.Tensors))
        {
            sameNoise.AddTo(expected.Values, 0.75);
            Assert.Equal(expected.Values, actual.Values);
        }
    }

    [Fact]
    public void CentralModeSettingsAreRefused()
    {
        using var noise = NoiseKey.FromSeed(1).Stream("job", 0, "site-1");
        var error = Assert.Throws<ArgumentException>(() =>
            LocalPrivatization.Privatize(RandomUpdates.Zeros(), Local with { Mode = PrivacyMode.Central }, noise));
        Assert.Contains("only in local mode", error.Message);
    }
}
