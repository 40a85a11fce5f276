using System.Text.Json;
using System.Text.Json.Nodes;
using FedPrompt.Formats;
using FedPrompt.Formats.Artefacts;
using FedPrompt.Formats.Checkpoints;
using FedPrompt.Formats.Settings;
using FedPrompt.Model;
using FedPrompt.Tuning.Encoders;
using static TorchSharp.torch;

namespace FedPrompt.Tuning.Artefacts;

/// <summary>
/// A LoRA adapter as a Hugging Face PEFT folder: adapter_config.json and adapter_model.safetensors,
/// the tensors named as PEFT's get_peft_model_state_dict names them
/// (base_model.model.transformer.h.0.attn.c_attn.lora_A.weight), so that
/// PeftModel.from_pretrained(base, folder) loads it. FedPrompt's own header (task, answers, the base
/// model's fingerprint) rides in the safetensors metadata, which PEFT ignores; a folder PEFT wrote
/// has none, and is checked by names and shapes only.
/// </summary>
public static class PeftAdapterFolder
{
    public const string ConfigFile = "adapter_config.json";
    public const string WeightsFile = "adapter_model.safetensors";
    const string PeftPrefix = "base_model.model.";

    public static bool IsOne(string path) => Directory.Exists(path) && File.Exists(Path.Combine(path, ConfigFile));

    public static void Write(string folder, LoraAdapters adapters, TaskTemplate template, IReadOnlyList<string> answers, LanguageModel baseModel)
    {
        Directory.CreateDirectory(folder);
        var header = new EncoderHeader(adapters.Settings, template.ToJson(), answers, baseModel.Identity);
        SafeTensorsWriter.WriteFile(Path.Combine(folder, WeightsFile), EncoderWeights.Entries(adapters, PeftPrefix + baseModel.Network.CausalLmPrefix),
            new Dictionary<string, string> { ["format"] = "pt", [EncoderHeader.MetadataKey] = header.ToJson() });
        var settings = adapters.Settings;
        var config = new JsonObject
        {
            ["peft_type"] = "LORA",
            ["task_type"] = "CAUSAL_LM",
            ["base_model_name_or_path"] = baseModel.Origin,
            ["r"] = settings.LoraRank,
            ["lora_alpha"] = settings.LoraAlpha,
            ["lora_dropout"] = settings.LoraDropout,
            ["target_modules"] = new JsonArray([.. TargetModules(adapters, baseModel.Network).Select(t => JsonValue.Create(t))]),
            // GPT-2's layers are Conv1D in Hugging Face, weights [in, out]: PEFT merges them transposed.
            ["fan_in_fan_out"] = baseModel.Network is Gpt,
            ["bias"] = "none",
            ["modules_to_save"] = null,
            ["init_lora_weights"] = true,
            ["use_rslora"] = false,
            ["use_dora"] = false,
            ["layers_to_transform"] = null,
            ["layers_pattern"] = null,
            ["rank_pattern"] = new JsonObject(),
            ["alpha_pattern"] = new JsonObject(),
            ["inference_mode"] = true,
        };
        AtomicFile.WriteAllText(Path.Combine(folder, ConfigFile), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>The layers' names within their blocks where those pick out exactly the adapted layers
    /// (PEFT matches a name against the end of each module's path), otherwise their full paths.</summary>
    static List<string> TargetModules(LoraAdapters adapters, Decoder network)
    {
        var adapted = adapters.AdaptedLayers.ToHashSet();
        var names = network.AdaptableLinears.Where(l => adapted.Contains(l.Path)).Select(l => l.WithinBlock).Distinct().ToList();
        bool exact = network.AdaptableLinears.All(l => adapted.Contains(l.Path) == names.Any(n => LoraAdapters.Matches(l, n)));
        return exact ? names : [.. adapters.AdaptedLayers.Select(p => network.CausalLmPrefix + p)];
    }

    /// <summary>Reads a PEFT LoRA folder for <paramref name="baseModel"/>. The task and answers are the
    /// folder's own if FedPrompt wrote it, else <paramref name="template"/> and none.</summary>
    public static LoadedEncoder Read(string folder, LanguageModel baseModel, TaskTemplate template)
    {
        var configPath = Path.Combine(folder, ConfigFile);
        var weightsPath = Path.Combine(folder, WeightsFile);
        if (!File.Exists(weightsPath))
            throw new FileNotFoundException($"{folder}: a PEFT adapter folder needs {WeightsFile} beside {ConfigFile}", weightsPath);
        var settings = SettingsOf(configPath, baseModel.Network);
        using var file = SafeTensorsFile.Open(weightsPath);
        EncoderHeader? header = null;
        if (file.Metadata.TryGetValue(EncoderHeader.MetadataKey, out var json))
        {
            header = EncoderHeader.FromJson(json, weightsPath);
            header.RequireBaseModel(baseModel.Identity, weightsPath, "adapter");
            settings = settings with { Seed = header.Encoder.Seed, LoraFreezeA = header.Encoder.LoraFreezeA };
        }
        LoraAdapters adapters;
        try
        {
            adapters = (LoraAdapters)PromptEncoder.Create(settings, baseModel);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{configPath}: {e.Message}", e);
        }
        var prefix = PeftPrefix + baseModel.Network.CausalLmPrefix;
        var targets = adapters.named_parameters().ToDictionary(p => prefix + p.name, p => (Tensor)p.parameter);
        EncoderWeights.Load(targets, file, "", weightsPath, "the adapter its config describes", widenHalf: true);
        return header is null
            ? new LoadedEncoder(adapters, template, [], new EncoderHeader(settings, template.ToJson(), [], baseModel.Identity))
            : new LoadedEncoder(adapters, header.TaskTemplate(weightsPath), header.Answers, header with { Encoder = settings });
    }

    /// <summary>The LoRA settings adapter_config.json describes; what FedPrompt's LoRA cannot apply is refused by name.</summary>
    static PromptEncoderSettings SettingsOf(string path, Decoder network)
    {
        JsonObject config;
        try
        {
            config = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new JsonException("not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON: {e.Message}", e);
        }
        string? Text(string key) => config[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        double? Number(string key) => config[key] is JsonValue v && v.TryGetValue<double>(out var d) ? d : null;
        bool Flag(string key) => config[key] is JsonValue v && v.TryGetValue<bool>(out var b) && b;
        bool Set(string key) => config[key] switch { null => false, JsonObject o => o.Count > 0, JsonArray a => a.Count > 0, _ => true };

        if (Text("peft_type") != "LORA") throw new InvalidDataException($"{path}: peft_type is {Text("peft_type") ?? "missing"}; only LORA adapters are supported");
        foreach (var unsupported in new[] { "use_dora", "use_rslora" })
            if (Flag(unsupported)) throw new InvalidDataException($"{path}: {unsupported} is true; FedPrompt applies plain LoRA (scaling alpha / r)");
        foreach (var unsupported in new[] { "modules_to_save", "layers_to_transform", "rank_pattern", "alpha_pattern" })
            if (Set(unsupported)) throw new InvalidDataException($"{path}: {unsupported} is set; FedPrompt supports one rank and alpha for whole target modules");
        if (Text("bias") is { } bias && bias != "none") throw new InvalidDataException($"{path}: bias is {bias}; only \"none\" is supported");
        var targets = config["target_modules"] switch
        {
            JsonArray list => list.Select(t => t?.GetValue<string>() ?? "").ToList(),
            JsonValue v when v.TryGetValue<string>(out var regex) => throw new InvalidDataException($"{path}: target_modules is a regular expression ({regex}); list the module names instead"),
            _ => throw new InvalidDataException($"{path}: target_modules is missing"),
        };
        var rank = Number("r") ?? throw new InvalidDataException($"{path}: r is missing");
        if (rank != Math.Floor(rank) || rank < 1) throw new InvalidDataException($"{path}: r must be a positive whole number (got {rank})");
        try
        {
            return new PromptEncoderSettings
            {
                Type = PromptEncoderType.Lora,
                LoraRank = (int)rank,
                LoraAlpha = Number("lora_alpha") ?? 8, // PEFT's default
                LoraDropout = Number("lora_dropout") ?? 0,
                // Full paths name the causal-LM model's modules; FedPrompt's paths start inside it.
                LoraTargets = string.Join(",", targets.Select(t => t.StartsWith(network.CausalLmPrefix, StringComparison.Ordinal) && network.CausalLmPrefix.Length > 0 ? t[network.CausalLmPrefix.Length..] : t)),
            }.Validated();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }
}
