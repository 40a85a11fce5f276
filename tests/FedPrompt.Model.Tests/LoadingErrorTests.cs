using FedPrompt.Formats.Checkpoints;
using FedPrompt.Testing;
using System.Formats.Tar;
using System.Text.Json.Nodes;
using FedPrompt.Model;

namespace FedPrompt.Model.Tests;

/// <summary>Bad checkpoints fail with an error that names the file and the problem.</summary>
public class LoadingErrorTests
{
    static TemporaryDirectory CopyOf(string fixture)
    {
        var temp = new TemporaryDirectory();
        foreach (var file in Directory.GetFiles(RepositoryFiles.Engine(fixture)))
            File.Copy(file, temp.File(Path.GetFileName(file)));
        return temp;
    }

    static void EditConfig(TemporaryDirectory folder, Action<JsonObject> edit)
    {
        var path = folder.File("config.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
    }

    [Fact]
    public void AMissingModelIsNamed()
    {
        var error = Assert.Throws<FileNotFoundException>(() => LanguageModel.Load("/nonexistent/model"));
        Assert.Contains("/nonexistent/model", error.Message);
    }

    [Fact]
    public void AFolderWithoutWeightsSaysWhatItLookedFor()
    {
        using var folder = CopyOf("tiny-gpt2");
        File.Delete(folder.File("model.safetensors"));
        var error = Assert.Throws<FileNotFoundException>(() => LanguageModel.Load(folder.Path));
        Assert.Contains("model.safetensors", error.Message);
        Assert.Contains("pytorch_model.bin", error.Message);
    }

    [Fact]
    public void ATruncatedSafetensorsFileIsNamed()
    {
        using var folder = CopyOf("tiny-gpt2");
        var path = folder.File("model.safetensors");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var error = Assert.Throws<InvalidDataException>(() => LanguageModel.Load(folder.Path));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void AConfigThatDisagreesWithTheWeightsListsTheMisShapedTensors()
    {
        using var folder = CopyOf("tiny-gpt2");
        EditConfig(folder, c => c["n_positions"] = 128);
        var error = Assert.Throws<InvalidDataException>(() => LanguageModel.Load(folder.Path));
        Assert.Contains("wpe.weight", error.Message);
        Assert.Contains("[64, 32]", error.Message);
        Assert.Contains("[128, 32]", error.Message);
    }

    [Fact]
    public void MoreLayersInTheConfigThanInTheWeightsListsTheMissingTensors()
    {
        using var folder = CopyOf("tiny-gpt2");
        EditConfig(folder, c => c["n_layer"] = 3);
        var error = Assert.Throws<InvalidDataException>(() => LanguageModel.Load(folder.Path));
        Assert.Contains("missing tensors", error.Message);
        Assert.Contains("h.2.attn.c_attn.weight", error.Message);
    }

    [Fact]
    public void FewerLayersInTheConfigListsTheUnexpectedTensors()
    {
        using var folder = CopyOf("tiny-gpt2");
        EditConfig(folder, c => c["n_layer"] = 1);
        var error = Assert.Throws<InvalidDataException>(() => LanguageModel.Load(folder.Path));
        Assert.Contains("unexpected tensors", error.Message);
        Assert.Contains("h.1.mlp.c_fc.weight", error.Message);
    }

    [Theory]
    [InlineData("model_type", "falcon", "model_type 'falcon'")]
    [InlineData("activation_function", "relu", "activation_function 'relu'")]
    [InlineData("scale_attn_by_inverse_layer_idx", true, "scale_attn_by_inverse_layer_idx")]
    [InlineData("tie_word_embeddings", false, "tie_word_embeddings")]
    public void UnsupportedArchitecturesAreRefusedByName(string key, object value, string named)
    {
        using var folder = CopyOf("tiny-gpt2");
        EditConfig(folder, c => c[key] = JsonValue.Create(value));
        var error = Assert.Throws<NotSupportedException>(() => LanguageModel.Load(folder.Path));
        Assert.Contains(named, error.Message);
        Assert.Contains("config.json", error.Message);
    }

    [Fact]
    public void AWrongTypeInTheConfigIsNamed()
    {
        using var folder = CopyOf("tiny-gpt2");
        EditConfig(folder, c =>
        {
            c["n_embd"] = "wide";
            c["n_inner"] = "wider";
        });
        var error = Assert.Throws<InvalidDataException>(() => LanguageModel.Load(folder.Path));
        Assert.Contains("\"n_embd\" has the wrong type (\"wide\", expected a whole number)", error.Message);
        EditConfig(folder, c => c["n_embd"] = 32);
        // An optional key: a nullable type in .NET, still "a whole number" to whoever wrote the file.
        error = Assert.Throws<InvalidDataException>(() => LanguageModel.Load(folder.Path));
        Assert.Contains("\"n_inner\" has the wrong type (\"wider\", expected a whole number)", error.Message);
    }

    [Fact]
    public void AnUntiedLmHeadIsRefused()
    {
        // The fixture re-saved with an lm_head that differs from wte.
        using var copy = CopyOf("tiny-gpt2");
        var weights = FedPrompt.Formats.Checkpoints.SafeTensorsFile.Open(copy.File("model.safetensors"));
        var tensors = weights.Tensors.Values.Select(FedPrompt.Formats.Checkpoints.SafeTensorsEntry.FromStored).ToList();
        var wte = weights.Tensors["wte.weight"];
        tensors.Add(FedPrompt.Formats.Checkpoints.SafeTensorsEntry.FromBytes("lm_head.weight", wte.DType, wte.Shape, Enumerable.Repeat((byte)1, (int)wte.ByteCount).ToArray()));
        FedPrompt.Formats.Checkpoints.SafeTensorsWriter.WriteFile(copy.File("other.safetensors"), tensors);
        weights.Dispose();
        File.Move(copy.File("other.safetensors"), copy.File("model.safetensors"), overwrite: true);
        var error = Assert.Throws<NotSupportedException>(() => LanguageModel.Load(copy.Path));
        Assert.Contains("lm_head.weight", error.Message);
    }

    [Fact]
    public void UnsupportedNemoSettingsAreRefusedByName()
    {
        using var temp = new TemporaryDirectory();
        var rewritten = temp.File("rope.nemo");
        using (var input = File.OpenRead(RepositoryFiles.Engine("tiny-megatron.nemo")))
        using (var reader = new TarReader(input))
        using (var output = File.Create(rewritten))
        using (var writer = new TarWriter(output, TarEntryFormat.Pax))
        {
            while (reader.GetNextEntry(copyData: true) is { } entry)
            {
                if (entry.Name.EndsWith("model_config.yaml", StringComparison.Ordinal))
                {
                    var yaml = new StreamReader(entry.DataStream!).ReadToEnd().Replace("position_embedding_type: learned_absolute", "position_embedding_type: rope");
                    var replacement = new PaxTarEntry(TarEntryType.RegularFile, entry.Name) { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(yaml)) };
                    writer.WriteEntry(replacement);
                }
                else writer.WriteEntry(entry);
            }
        }
        var error = Assert.Throws<NotSupportedException>(() => LanguageModel.Load(rewritten));
        Assert.Contains("position_embedding_type = rope", error.Message);
        Assert.Contains(rewritten, error.Message);
    }

    [Fact]
    public void ATruncatedNemoIsNamed()
    {
        using var temp = new TemporaryDirectory();
        var path = temp.File("cut.nemo");
        var bytes = File.ReadAllBytes(RepositoryFiles.Engine("tiny-megatron.nemo"));
        File.WriteAllBytes(path, bytes[..(bytes.Length - 100_000)]);
        var error = Assert.ThrowsAny<InvalidDataException>(() => LanguageModel.Load(path));
        Assert.Contains(path, error.Message);
    }
}
