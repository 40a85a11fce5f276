using System.Text.Json.Nodes;
using FedPrompt.Formats.Checkpoints;
using FedPrompt.Formats.Settings;
using FedPrompt.Model;
using FedPrompt.Testing;
using FedPrompt.Tuning.Artefacts;
using FedPrompt.Tuning.Encoders;
using static TorchSharp.torch;

namespace FedPrompt.Tuning.Tests.Tuning;

/// <summary>A LoRA adapter written as PEFT writes one, and read back, including folders PEFT wrote.</summary>
public class PeftAdapterFolderTests
{
    static readonly string[] Answers = [" negative", " neutral", " positive"];

    static LoraAdapters Trained(LanguageModel model, string targets, int rank = 4)
    {
        var adapters = (LoraAdapters)PromptEncoder.Create(new PromptEncoderSettings
        {
            Type = PromptEncoderType.Lora, LoraRank = rank, LoraAlpha = 16, LoraDropout = 0.1, LoraTargets = targets,
        }, model);
        using var noGrad = no_grad();
        var generator = new TorchSharp.torch.Generator(7);
        foreach (var p in adapters.parameters()) p.add_(randn(p.shape, generator: generator));
        return adapters;
    }

    static JsonObject Config(string folder) => JsonNode.Parse(File.ReadAllText(Path.Combine(folder, PeftAdapterFolder.ConfigFile)))!.AsObject();

    static void AssertSameWeights(PromptEncoder expected, PromptEncoder actual)
    {
        var original = expected.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.Equal(original.Keys, actual.named_parameters().Select(p => p.name));
        foreach (var (name, p) in actual.named_parameters())
            Assert.True(p.equal(original[name]).all().item<bool>(), $"{name} differs");
    }

    [Theory]
    [InlineData("gpt", "attention", "base_model.model.transformer.h.1.attn.c_attn.lora_A.weight", new[] { "attn.c_attn", "attn.c_proj" }, true)]
    [InlineData("llama", "q_proj,v_proj", "base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight", new[] { "self_attn.q_proj", "self_attn.v_proj" }, false)]
    [InlineData("gpt", "h.0.attn.c_attn", "base_model.model.transformer.h.0.attn.c_attn.lora_B.weight", new[] { "transformer.h.0.attn.c_attn" }, true)]
    public void AnExportHasPeftsNamesAndConfigAndReadsBack(string architecture, string targets, string oneName, string[] targetModules, bool fanInFanOut)
    {
        using var folder = new TemporaryDirectory();
        using var model = TinyModels.Create(config: TinyModels.Architecture(architecture));
        var adapters = Trained(model, targets);
        var out_ = folder.File("peft");
        PeftAdapterFolder.Write(out_, adapters, TaskTemplate.FinancialPhraseBank, Answers, model);

        var config = Config(out_);
        Assert.Equal("LORA", (string?)config["peft_type"]);
        Assert.Equal("CAUSAL_LM", (string?)config["task_type"]);
        Assert.Equal(4, (int?)config["r"]);
        Assert.Equal(16.0, (double?)config["lora_alpha"]);
        Assert.Equal(0.1, (double?)config["lora_dropout"]);
        Assert.Equal(fanInFanOut, (bool?)config["fan_in_fan_out"]);
        Assert.Equal(targetModules, config["target_modules"]!.AsArray().Select(t => (string)t!));
        using (var file = SafeTensorsFile.Open(Path.Combine(out_, PeftAdapterFolder.WeightsFile)))
        {
            Assert.All(file.Tensors.Values, t => Assert.StartsWith("base_model.model.", t.Name));
            Assert.All(file.Tensors.Values, t => Assert.Equal(StoredDType.F32, t.DType));
            Assert.Equal(adapters.ParameterCount, file.Tensors.Values.Sum(t => t.ElementCount));
            var layer = oneName[..oneName.LastIndexOf(".lora_", StringComparison.Ordinal)]["base_model.model.".Length..];
            var linear = model.Network.AdaptableLinears.Single(l => model.Network.CausalLmPrefix + l.Path == layer);
            Assert.Equal(oneName.EndsWith("lora_A.weight", StringComparison.Ordinal) ? [4, linear.InFeatures] : new[] { linear.OutFeatures, 4 }, file.Tensors[oneName].Shape);
            Assert.Equal("pt", file.Metadata["format"]);
        }

        var loaded = EncoderArtefact.Load(out_, model);
        Assert.Equal(Answers, loaded.Answers);
        Assert.Equal(adapters.Settings with { Seed = loaded.Encoder.Settings.Seed }, loaded.Encoder.Settings with { LoraTargets = targets });
        AssertSameWeights(adapters, loaded.Encoder);
    }

    /// <summary>What PEFT's save_pretrained writes for a bf16 Llama with r=4 on q_proj and v_proj, and no FedPrompt header.</summary>
    static string ForeignFolder(TemporaryDirectory folder, LanguageModel model, Action<JsonObject>? editConfig = null, Func<string, long[], long[]>? shape = null, bool dropOne = false)
    {
        var path = folder.File("foreign");
        Directory.CreateDirectory(path);
        var config = new JsonObject
        {
            ["alpha_pattern"] = new JsonObject(), ["auto_mapping"] = null, ["base_model_name_or_path"] = "HuggingFaceTB/SmolLM2-135M", ["bias"] = "none",
            ["fan_in_fan_out"] = false, ["inference_mode"] = true, ["init_lora_weights"] = true, ["layers_pattern"] = null, ["layers_to_transform"] = null,
            ["lora_alpha"] = 32, ["lora_dropout"] = 0.05, ["modules_to_save"] = null, ["peft_type"] = "LORA", ["r"] = 4, ["rank_pattern"] = new JsonObject(),
            ["revision"] = null, ["target_modules"] = new JsonArray("v_proj", "q_proj"), ["task_type"] = "CAUSAL_LM", ["use_dora"] = false, ["use_rslora"] = false,
        };
        editConfig?.Invoke(config);
        File.WriteAllText(Path.Combine(path, PeftAdapterFolder.ConfigFile), config.ToJsonString());
        var entries = new List<SafeTensorsEntry>();
        foreach (var linear in model.Network.AdaptableLinears.Where(l => l.Path.EndsWith("q_proj", StringComparison.Ordinal) || l.Path.EndsWith("v_proj", StringComparison.Ordinal)))
            foreach (var (part, dims) in new[] { ("lora_A", new[] { 4L, linear.InFeatures }), ("lora_B", new[] { linear.OutFeatures, 4L }) })
            {
                var name = $"base_model.model.{linear.Path}.{part}.weight";
                if (dropOne && entries.Count == 3) continue;
                var stored = shape?.Invoke(name, dims) ?? dims;
                var value = arange(stored[0] * stored[1], dtype: ScalarType.Float32).div_(100).view(stored).to_type(ScalarType.BFloat16);
                var bytes = value.bytes.ToArray();
                entries.Add(new SafeTensorsEntry(name, StoredDType.BF16, stored, s => s.Write(bytes)));
            }
        SafeTensorsWriter.WriteFile(Path.Combine(path, PeftAdapterFolder.WeightsFile), entries, new Dictionary<string, string> { ["format"] = "pt" });
        return path;
    }

    [Fact]
    public void AFolderPeftWroteLoadsWithItsRankAlphaAndTargetsWidenedFromBf16()
    {
        using var folder = new TemporaryDirectory();
        using var model = TinyModels.Create(config: TinyModels.Architecture("llama"));
        var loaded = EncoderArtefact.Load(ForeignFolder(folder, model), model);

        var lora = Assert.IsType<LoraAdapters>(loaded.Encoder);
        Assert.Equal((4, 32.0, 0.05, "v_proj,q_proj"), (lora.Settings.LoraRank, lora.Settings.LoraAlpha, lora.Settings.LoraDropout, lora.Settings.LoraTargets));
        Assert.Equal(4, lora.AdaptedLayers.Count);
        Assert.Empty(loaded.Answers);
        var b = lora.named_parameters().Single(p => p.name == "model.layers.1.self_attn.q_proj.lora_B.weight").parameter;
        Assert.Equal(ScalarType.Float32, b.dtype);
        Assert.Equal(0.01f, b[0, 1].item<float>(), 3);
    }

    [Theory]
    [InlineData("use_dora", "use_dora is true")]
    [InlineData("regex", "target_modules is a regular expression")]
    [InlineData("prefix", "peft_type is PREFIX_TUNING")]
    [InlineData("bias", "bias is all")]
    [InlineData("modules_to_save", "modules_to_save is set")]
    [InlineData("unknown_target", "gate names no linear layer")]
    public void WhatFedPromptCannotApplyIsRefusedByName(string problem, string message)
    {
        using var folder = new TemporaryDirectory();
        using var model = TinyModels.Create(config: TinyModels.Architecture("llama"));
        var path = ForeignFolder(folder, model, config =>
        {
            switch (problem)
            {
                case "use_dora": config["use_dora"] = true; break;
                case "regex": config["target_modules"] = ".*(q|v)_proj"; break;
                case "prefix": config["peft_type"] = "PREFIX_TUNING"; break;
                case "bias": config["bias"] = "all"; break;
                case "modules_to_save": config["modules_to_save"] = new JsonArray("lm_head"); break;
                case "unknown_target": config["target_modules"] = new JsonArray("q_proj", "gate"); break;
            }
        });
        var error = Assert.Throws<InvalidDataException>(() => EncoderArtefact.Load(path, model));
        Assert.Contains(message, error.Message);
        Assert.Contains("foreign", error.Message);
    }

    [Fact]
    public void MissingOrMisshapenTensorsAreRefusedByName()
    {
        using var folder = new TemporaryDirectory();
        using var model = TinyModels.Create(config: TinyModels.Architecture("llama"));
        var missing = Assert.Throws<InvalidDataException>(() => EncoderArtefact.Load(ForeignFolder(folder, model, dropOne: true), model));
        Assert.Contains("missing base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight", missing.Message);

        using var other = new TemporaryDirectory();
        var misshapen = Assert.Throws<InvalidDataException>(() => EncoderArtefact.Load(
            ForeignFolder(other, model, shape: (name, dims) => name.Contains("layers.1.self_attn.q_proj.lora_A") ? [8, dims[1]] : dims), model));
        Assert.Contains("base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight BF16[8, 32]", misshapen.Message);
    }
}
