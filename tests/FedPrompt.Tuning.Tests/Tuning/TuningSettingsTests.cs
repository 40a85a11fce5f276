using FedPrompt.Formats.Settings;

namespace FedPrompt.Tuning.Tests.Tuning;

/// <summary>A settings file's mistakes are named by key and line, in JSON's words rather than .NET's.</summary>
public class TuningSettingsTests
{
    [Theory]
    [InlineData("{\"training\": {\"learning_rate\": \"fast\"}}", "settings.json: invalid settings at $.training.learning_rate (line 1): expected a number")]
    [InlineData("{\n\"epochs\": 1.5}", "settings.json: invalid settings at $.epochs (line 2): expected a whole number")]
    [InlineData("{\"trainng\": {}}", "settings.json: invalid settings at $.trainng (line 1): unknown key \"trainng\"")]
    [InlineData("{\"encoder\": {\"type\": \"big\"}}", "expected one of \"mlp\", \"lstm\", \"embedding\", \"deep\"")]
    [InlineData("{\"answers\": [1]}", "at $.answers[0] (line 1): expected a string")]
    [InlineData("{\"training\": {\"warmup_steps\": 50, \"max_steps\": 10}}", "settings.json: warmup (50 steps) must be shorter than max_steps (10)")]
    public void AMistakeIsNamedByKeyAndLine(string json, string message)
    {
        var error = Assert.Throws<InvalidDataException>(() => TuningSettings.Parse(json, "settings.json"));
        Assert.Contains(message, error.Message);
        Assert.DoesNotContain("System.", error.Message);
        Assert.DoesNotContain(".NET", error.Message);
    }
}
