using FedPrompt.Formats.Checkpoints;
using FedPrompt.Testing;
using FedPrompt.Model;

namespace FedPrompt.Model.Tests;

public class SaveLoadTests
{
    [Fact]
    public void ASavedModelLoadsBackIdentical()
    {
        using var model = TinyModels.Create(seed: 9);
        var folder = Path.Combine(Path.GetTempPath(), $"fedprompt-save-{Guid.NewGuid():N}");
        try
        {
            model.Save(folder);
            using var loaded = LanguageModel.Load(folder);
            Assert.Equal(model.Config, loaded.Config);
            var tokens = model.Tokenizer.Encode("Operating profit rose to EUR 13.1 mn from EUR 8.7 mn.");
            Assert.Equal(model.LogProbabilities(tokens), loaded.LogProbabilities(tokens));
            var original = model.Network.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (var (name, parameter) in loaded.Network.named_parameters())
                Assert.True(parameter.equal(original[name]).all().item<bool>(), name);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData(StoredDType.F16, 1e-2)]
    [InlineData(StoredDType.BF16, 5e-2)]
    public void AModelSavedInHalfPrecisionLoadsCloseToTheOriginal(StoredDType dtype, double tolerance)
    {
        using var model = LanguageModel.Load(RepositoryFiles.Engine("tiny-megatron.nemo"));
        using var folder = new TemporaryDirectory();
        model.Save(folder.Path, dtype);
        using var loaded = LanguageModel.Load(folder.Path);
        Assert.Equal([dtype], loaded.StoredTypes);
        var tokens = loaded.Tokenizer.Encode("Operating profit rose to EUR 13.1 mn");
        var worst = model.LogProbabilities(tokens).Zip(loaded.LogProbabilities(tokens), (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst < tolerance * 10, $"max |Δ log p| {worst}");
        Assert.True(new FileInfo(Path.Combine(folder.Path, "model.safetensors")).Length < 2 * 60_288 + 4096);
    }
}
