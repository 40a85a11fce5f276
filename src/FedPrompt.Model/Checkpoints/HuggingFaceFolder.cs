using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FedPrompt.Formats;
using FedPrompt.Formats.Checkpoints;

namespace FedPrompt.Model.Checkpoints;

/// <summary>
/// A Hugging Face model folder: config.json plus model.safetensors, pytorch_model.bin, or shards of
/// either listed in a *.index.json. GPT-2's tensor names come with or without the "transformer."
/// prefix, its Conv1D weights stored [in, out] and its attention-mask buffers ignored; a Llama-family
/// model's names are the engine's own (<see cref="Llama"/>), old checkpoints' RoPE buffers ignored.
/// </summary>
public static partial class HuggingFaceFolder
{
    public const string ConfigFile = "config.json";
    public const string SafeTensorsFile = "model.safetensors";
    const string SafeTensorsIndex = "model.safetensors.index.json";
    const string PickleFile = "pytorch_model.bin";
    const string PickleIndex = "pytorch_model.bin.index.json";
    const string TiedHead = "lm_head.weight";

    [GeneratedRegex(@"^(h\.\d+\.attn\.(bias|masked_bias)|model\.layers\.\d+\.self_attn\.rotary_emb\.inv_freq)$")]
    private static partial Regex Buffer();

    [GeneratedRegex(@"^h\.\d+\.(attn\.c_attn|attn\.c_proj|mlp\.c_fc|mlp\.c_proj)\.weight$")]
    private static partial Regex Conv1DWeight();

    public static DecoderConfig ReadConfig(string folder)
    {
        var path = Path.Combine(folder, ConfigFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: not found (a Hugging Face model folder needs config.json)", path);
        JsonObject json;
        try
        {
            json = JsonNode.Parse(File.ReadAllBytes(path)) as JsonObject ?? throw new InvalidDataException("not a JSON object");
        }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            throw new InvalidDataException($"{path}: not a valid config: {e.Message}", e);
        }

        string? modelType = Get<string>(json, "model_type", path);
        if (modelType is null or "gpt2") return ReadGpt2(json, path);
        if (LlamaConfigJson.ModelTypes.TryGetValue(modelType, out var family)) return LlamaConfigJson.Read(json, family, path);
        throw new NotSupportedException($"{path}: model_type '{modelType}' is not supported (gpt2, {string.Join(", ", LlamaConfigJson.ModelTypes.Keys)})");
    }

    static GptConfig ReadGpt2(JsonObject json, string path)
    {
        Refuse(json, path, "add_cross_attention", true, "cross-attention");
        Refuse(json, path, "scale_attn_by_inverse_layer_idx", true, "attention scaled by the inverse layer index");
        Refuse(json, path, "scale_attn_weights", false, "unscaled attention");
        Refuse(json, path, "tie_word_embeddings", false, "an LM head not tied to the token embedding");

        var activation = Get<string>(json, "activation_function", path) ?? "gelu_new";
        return new GptConfig
        {
            VocabSize = Require<int>(json, "vocab_size", path),
            Positions = Get<int?>(json, "n_positions", path) ?? Require<int>(json, "n_ctx", path),
            Embedding = Require<int>(json, "n_embd", path),
            Layers = Require<int>(json, "n_layer", path),
            Heads = Require<int>(json, "n_head", path),
            Inner = Get<int?>(json, "n_inner", path),
            LayerNormEpsilon = Get<double?>(json, "layer_norm_epsilon", path) ?? 1e-5,
            Activation = activation switch
            {
                "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast" => GptActivation.GeluTanh,
                "gelu" => GptActivation.GeluErf,
                _ => throw new NotSupportedException($"{path}: activation_function '{activation}' is not supported (gelu_new, gelu_pytorch_tanh, gelu_fast or gelu)"),
            },
        }.Validated(path);
    }

    /// <summary>Opens the folder's weights, preferring safetensors, and says which files they came from.</summary>
    public static ITensorSource OpenWeights(string folder)
    {
        string Of(string file) => Path.Combine(folder, file);
        if (File.Exists(Of(SafeTensorsFile))) return Formats.Checkpoints.SafeTensorsFile.Open(Of(SafeTensorsFile));
        if (File.Exists(Of(SafeTensorsIndex))) return OpenSharded(Of(SafeTensorsIndex), Formats.Checkpoints.SafeTensorsFile.Open);
        if (File.Exists(Of(PickleFile))) return TorchZipCheckpoint.Open(Of(PickleFile));
        if (File.Exists(Of(PickleIndex))) return OpenSharded(Of(PickleIndex), TorchZipCheckpoint.Open);
        throw new FileNotFoundException($"{folder}: no weights found (looked for {SafeTensorsFile}, {SafeTensorsIndex}, {PickleFile}, {PickleIndex})");
    }

    static ITensorSource OpenSharded(string indexPath, Func<string, ITensorSource> open)
    {
        Dictionary<string, string> weightMap;
        try
        {
            var index = JsonNode.Parse(File.ReadAllBytes(indexPath)) as JsonObject;
            weightMap = (index?["weight_map"] as JsonObject ?? throw new InvalidDataException("no \"weight_map\" object"))
                .ToDictionary(kv => kv.Key, kv => kv.Value?.GetValue<string>() ?? throw new InvalidDataException($"no file for {kv.Key}"));
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or InvalidOperationException)
        {
            throw new InvalidDataException($"{indexPath}: not a valid shard index: {e.Message}", e);
        }
        var folder = Path.GetDirectoryName(indexPath)!;
        var shards = weightMap.Values.Distinct().Order(StringComparer.Ordinal).Select(file =>
        {
            var path = Path.Combine(folder, file);
            if (!File.Exists(path)) throw new FileNotFoundException($"{indexPath}: lists shard {file}, which is missing", path);
            return path;
        }).ToList();
        var source = new CompositeTensorSource(indexPath, shards.Select(open));
        var absent = weightMap.Where(kv => !source.Tensors.ContainsKey(kv.Key)).Select(kv => $"{kv.Key} (in {kv.Value})").ToList();
        if (absent.Count > 0)
        {
            source.Dispose();
            throw new InvalidDataException($"{indexPath}: lists tensors its shards do not hold: {string.Join(", ", absent)}");
        }
        return source;
    }

    /// <summary>Model parameter name → stored tensor, plus stored names that belong to nothing.
    /// A stored lm_head of a model with tied embeddings must equal the token embedding; the caller
    /// checks after loading.</summary>
    public static (Dictionary<string, MappedWeight> Weights, List<string> Unexpected, StoredTensor? LmHead) Map(ITensorSource source, DecoderConfig config)
    {
        bool tied = config is not LlamaConfig { TiedEmbeddings: false };
        var weights = new Dictionary<string, MappedWeight>(StringComparer.Ordinal);
        var unexpected = new List<string>();
        StoredTensor? lmHead = null;
        foreach (var (storedName, tensor) in source.Tensors)
        {
            var name = storedName.StartsWith("transformer.", StringComparison.Ordinal) ? storedName["transformer.".Length..] : storedName;
            if (Buffer().IsMatch(name)) continue;
            if (name == TiedHead && tied)
            {
                lmHead = tensor;
                continue;
            }
            var transform = Conv1DWeight().IsMatch(name) ? WeightTransform.Transpose : WeightTransform.None;
            if (!weights.TryAdd(name, new MappedWeight(tensor, transform)))
                unexpected.Add($"{storedName} (a second copy of {name})");
        }
        return (weights, unexpected, lmHead);
    }

    public static JsonObject ConfigJson(DecoderConfig config) => config switch
    {
        GptConfig gpt => Gpt2ConfigJson(gpt),
        LlamaConfig llama => LlamaConfigJson.Write(llama),
        _ => throw new NotSupportedException($"no config.json for {config.GetType().Name}"),
    };

    static JsonObject Gpt2ConfigJson(GptConfig config) => new()
    {
        ["model_type"] = "gpt2",
        ["architectures"] = new JsonArray("GPT2LMHeadModel"),
        ["vocab_size"] = config.VocabSize,
        ["n_positions"] = config.Positions,
        ["n_ctx"] = config.Positions,
        ["n_embd"] = config.Embedding,
        ["n_layer"] = config.Layers,
        ["n_head"] = config.Heads,
        ["n_inner"] = config.Inner,
        ["activation_function"] = config.Activation == GptActivation.GeluTanh ? "gelu_new" : "gelu",
        ["layer_norm_epsilon"] = config.LayerNormEpsilon,
        ["tie_word_embeddings"] = true,
    };

    public static bool IsConv1DWeight(string name) => Conv1DWeight().IsMatch(name);

    internal static T Require<T>(JsonObject json, string key, string path) =>
        Get<T>(json, key, path) ?? throw new InvalidDataException($"{path}: missing \"{key}\"");

    internal static T? Get<T>(JsonObject json, string key, string path)
    {
        if (!json.TryGetPropertyValue(key, out var node) || node is null) return default;
        try
        {
            return node.Deserialize<T>();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: \"{key}\" has the wrong type ({node.ToJsonString()}, expected {JsonKind.Of(typeof(T))})", e);
        }
    }

    internal static void Refuse(JsonObject json, string path, string key, bool unsupported, string what)
    {
        if (Get<bool?>(json, key, path) == unsupported)
            throw new NotSupportedException($"{path}: {key} = {unsupported.ToString().ToLowerInvariant()} ({what}) is not supported");
    }
}
