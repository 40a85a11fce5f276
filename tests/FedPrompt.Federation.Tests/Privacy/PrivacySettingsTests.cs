using System.Text.Json;
using FedPrompt.Federation.Privacy;
using FedPrompt.Formats;

namespace FedPrompt.Federation.Tests.Privacy;

public sealed class PrivacySettingsTests
{
    static PrivacySettings Parse(string json) => StrictJson.Parse<PrivacySettings>(json, "config_fed_server.json");

    static InvalidDataException Invalid(string json) =>
        Assert.Throws<InvalidDataException>(() => Parse(json).Validated("config_fed_server.json"));

    [Fact]
    public void ReadsSnakeCaseKeysWithDefaults()
    {
        var settings = Parse("""{"mode": "central", "clip_norm": 0.5, "noise_multiplier": 1.2}""").Validated("test");

        Assert.Equal(PrivacyMode.Central, settings.Mode);
        Assert.Equal(0.5, settings.ClipNorm);
        Assert.Equal(1.2, settings.NoiseMultiplier);
        Assert.Equal(1e-5, settings.Delta);
        Assert.Equal(1, settings.SamplingRate);
        Assert.Null(settings.NoiseSeed);
        Assert.Equal(0.6, settings.NoiseStandardDeviation, 15);
        Assert.Equal(1.2, settings.AccountedNoiseMultiplier);
    }

    [Fact]
    public void RoundTripsWithOnlyItsOwnKeys()
    {
        var settings = new PrivacySettings { Mode = PrivacyMode.Local, ClipNorm = 2, NoiseMultiplier = 0.8, Delta = 1e-6, NoiseSeed = 42 };

        string json = JsonSerializer.Serialize(settings, StrictJson.Options);

        Assert.Equal(["mode", "clip_norm", "noise_multiplier", "delta", "sampling_rate", "noise_seed"],
            JsonDocument.Parse(json).RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Contains("\"local\"", json);
        Assert.Equal(settings, Parse(json));
        Assert.Equal(0.4, settings.AccountedNoiseMultiplier);
    }

    [Theory]
    [InlineData("""{"mode": "central", "clip_norm": 0, "noise_multiplier": 1}""", "privacy.clip_norm must be a finite number > 0 (got 0)")]
    [InlineData("""{"mode": "central", "clip_norm": -1, "noise_multiplier": 1}""", "privacy.clip_norm")]
    [InlineData("""{"mode": "central", "clip_norm": 1, "noise_multiplier": -0.1}""", "privacy.noise_multiplier must be a finite number ≥ 0 (got -0.1)")]
    [InlineData("""{"mode": "central", "clip_norm": 1, "noise_multiplier": 1, "delta": 0}""", "privacy.delta must be between 0 and 1")]
    [InlineData("""{"mode": "central", "clip_norm": 1, "noise_multiplier": 1, "delta": 1}""", "privacy.delta")]
    [InlineData("""{"mode": "central", "clip_norm": 1, "noise_multiplier": 1, "sampling_rate": 0}""", "privacy.sampling_rate must be in (0, 1] (got 0)")]
    [InlineData("""{"mode": "central", "clip_norm": 1, "noise_multiplier": 1, "sampling_rate": 1.5}""", "privacy.sampling_rate")]
    [InlineData("""{"mode": "local", "clip_norm": 1, "noise_multiplier": 1, "sampling_rate": 0.5}""", "privacy.sampling_rate must be 1 in local mode")]
    [InlineData("""{"mode": 7, "clip_norm": 1, "noise_multiplier": 1}""", "privacy.mode must be \"central\" or \"local\"")]
    public void BadValuesNameTheKey(string json, string message)
    {
        var error = Invalid(json);
        Assert.StartsWith("config_fed_server.json: ", error.Message);
        Assert.Contains(message, error.Message);
    }

    [Theory]
    [InlineData("""{"mode": "global", "clip_norm": 1, "noise_multiplier": 1}""", "$.mode")]
    [InlineData("""{"mode": "central", "clip_norm": 1, "noise_multiplier": 1, "clip": 2}""", "clip")]
    [InlineData("""{"mode": "central", "clip_norm": "1", "noise_multiplier": 1}""", "$.clip_norm")]
    [InlineData("""{"mode": "central", "noise_multiplier": 1}""", "clip_norm")]
    [InlineData("""{"clip_norm": 1, "noise_multiplier": 1}""", "mode")]
    public void MalformedJsonNamesTheKey(string json, string key)
    {
        var error = Assert.Throws<InvalidDataException>(() => Parse(json));
        Assert.Contains(key, error.Message);
    }

    [Fact]
    public void TheSeedMakesTheNoiseReproducibleAndItsAbsenceMakesItSecret()
    {
        var seeded = new PrivacySettings { Mode = PrivacyMode.Central, ClipNorm = 1, NoiseMultiplier = 1, NoiseSeed = 5 };

        Assert.Equal(seeded.CreateNoiseKey().ToBytes(), seeded.CreateNoiseKey().ToBytes());
        var unseeded = seeded with { NoiseSeed = null };
        Assert.NotEqual(unseeded.CreateNoiseKey().ToBytes(), unseeded.CreateNoiseKey().ToBytes());
    }

    [Fact]
    public void PlannedBudgetComposesTheRounds()
    {
        var central = new PrivacySettings { Mode = PrivacyMode.Central, ClipNorm = 1, NoiseMultiplier = 1 };
        var accountant = new RdpAccountant();
        accountant.Compose(1, 1, 50);

        Assert.Equal(accountant.Guarantee(1e-5), central.GuaranteeAfter(50));
        Assert.Equal(RdpReference.Case("federation_all_sites_noise_1_50_rounds").GetProperty("improved").GetProperty("epsilon").GetDouble(),
            central.GuaranteeAfter(50).Epsilon, 1e-9);
        // Local mode's sensitivity is twice central's: the same z buys what z / 2 buys centrally.
        var local = central with { Mode = PrivacyMode.Local, NoiseMultiplier = 2 };
        Assert.Equal(central.GuaranteeAfter(50), local.GuaranteeAfter(50));
    }
}
