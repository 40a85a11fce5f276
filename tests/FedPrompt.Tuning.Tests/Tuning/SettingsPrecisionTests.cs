using FedPrompt.Formats.Settings;
using FedPrompt.Testing;

namespace FedPrompt.Tuning.Tests.Tuning;

/// <summary>The settings' (and so a job's) precision key: read as users write it, and held against the model.</summary>
public class SettingsPrecisionTests
{
    [Fact]
    public void SettingsReadAndWriteThePrecisionByName()
    {
        var settings = TuningSettings.Parse("""{"precision": "bf16"}""", "settings.json");
        Assert.Equal(Precision.Bf16, settings.Precision);
        Assert.Contains("\"precision\": \"bf16\"", settings.ToJson());
        Assert.Equal(Precision.Auto, TuningSettings.Parse("{}", "settings.json").Precision);
    }

    [Fact]
    public void AnUnknownPrecisionInSettingsNamesTheFileAndTheChoices()
    {
        var error = Assert.Throws<InvalidDataException>(() => TuningSettings.Parse("""{"precision": "half"}""", "settings.json"));
        Assert.Contains("settings.json", error.Message);
        Assert.Contains("\"half\" is not one of auto, bf16 or fp32", error.Message);
    }

    [Fact]
    public void SettingsThatAskForAnotherPrecisionThanTheModelsAreRefused()
    {
        using var folder = new TemporaryDirectory();
        var train = SyntheticTask.Write(folder, "train.jsonl", 8, seed: 1);
        using var model = TinyModels.Create(config: TinyModels.Config(vocab: 50257, positions: 64), precision: Precision.Fp32);
        var error = Assert.Throws<InvalidDataException>(() => TuningSession.Create(model, new TuningSettings { Precision = Precision.Bf16 }, train, train));
        Assert.Equal("these settings ask for a model computing in bf16; it was loaded in fp32 (load it with --precision bf16)", error.Message);
        TuningSession.Create(model, new TuningSettings { Precision = Precision.Fp32 }, train, train);
        TuningSession.Create(model, new TuningSettings { Precision = Precision.Auto }, train, train);
    }
}
