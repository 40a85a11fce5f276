using System.Text.Json.Nodes;

namespace FedPrompt.Model.Checkpoints;

/// <summary>
/// A Hugging Face config.json of a Llama-family model (model_type llama, mistral, qwen2, qwen3) read
/// into a <see cref="LlamaConfig"/>, and written back. Anything that would change the arithmetic and
/// is not implemented (another activation, an MLP bias, other RoPE scalings, Qwen's per-layer sliding
/// windows) is refused by name rather than silently computed differently.
/// </summary>
public static class LlamaConfigJson
{
    public static readonly IReadOnlyDictionary<string, LlamaFamily> ModelTypes = new Dictionary<string, LlamaFamily>
    {
        ["llama"] = LlamaFamily.Llama,
        ["mistral"] = LlamaFamily.Mistral,
        ["qwen2"] = LlamaFamily.Qwen2,
        ["qwen3"] = LlamaFamily.Qwen3,
    };

    static readonly Dictionary<LlamaFamily, string> Architectures = new()
    {
        [LlamaFamily.Llama] = "LlamaForCausalLM",
        [LlamaFamily.Mistral] = "MistralForCausalLM",
        [LlamaFamily.Qwen2] = "Qwen2ForCausalLM",
        [LlamaFamily.Qwen3] = "Qwen3ForCausalLM",
    };

    public static LlamaConfig Read(JsonObject json, LlamaFamily family, string path)
    {
        var activation = HuggingFaceFolder.Get<string>(json, "hidden_act", path) ?? "silu";
        if (activation != "silu")
            throw new NotSupportedException($"{path}: hidden_act '{activation}' is not supported (the Llama family's SwiGLU uses silu)");
        HuggingFaceFolder.Refuse(json, path, "mlp_bias", true, "biases in the MLP");
        if (family is LlamaFamily.Qwen2 or LlamaFamily.Qwen3)
            HuggingFaceFolder.Refuse(json, path, "use_sliding_window", true, "Qwen's per-layer sliding-window attention");
        bool attentionBias = HuggingFaceFolder.Get<bool?>(json, "attention_bias", path) ?? false;
        var (theta, rope) = ReadRope(json, path);
        return new LlamaConfig
        {
            Family = family,
            VocabSize = HuggingFaceFolder.Require<int>(json, "vocab_size", path),
            Positions = HuggingFaceFolder.Require<int>(json, "max_position_embeddings", path),
            Embedding = HuggingFaceFolder.Require<int>(json, "hidden_size", path),
            Layers = HuggingFaceFolder.Require<int>(json, "num_hidden_layers", path),
            Heads = HuggingFaceFolder.Require<int>(json, "num_attention_heads", path),
            KeyValueHeads = HuggingFaceFolder.Get<int?>(json, "num_key_value_heads", path) ?? 0,
            HeadDimension = HuggingFaceFolder.Get<int?>(json, "head_dim", path),
            Inner = HuggingFaceFolder.Require<int>(json, "intermediate_size", path),
            RmsNormEpsilon = HuggingFaceFolder.Get<double?>(json, "rms_norm_eps", path) ?? 1e-6,
            RopeTheta = theta,
            Rope = rope,
            // Qwen2 always has q/k/v biases and never an output bias; the others follow attention_bias.
            QkvBias = family == LlamaFamily.Qwen2 || attentionBias,
            OutputBias = family != LlamaFamily.Qwen2 && attentionBias,
            QkNorm = family == LlamaFamily.Qwen3,
            SlidingWindow = family == LlamaFamily.Mistral ? HuggingFaceFolder.Get<int?>(json, "sliding_window", path) : null,
            // transformers' default for every one of these families is an untied head.
            TiedEmbeddings = HuggingFaceFolder.Get<bool?>(json, "tie_word_embeddings", path) ?? false,
        }.Validated(path);
    }

    /// <summary>θ and the scaling, from rope_theta + rope_scaling (its type under "rope_type" or the
    /// older "type") or from the newer rope_parameters object that holds both.</summary>
    static (double Theta, RopeScaling Scaling) ReadRope(JsonObject json, string path)
    {
        var parameters = HuggingFaceFolder.Get<JsonObject>(json, "rope_parameters", path);
        var scaling = parameters ?? HuggingFaceFolder.Get<JsonObject>(json, "rope_scaling", path);
        string where = parameters is not null ? "rope_parameters" : "rope_scaling";
        double theta = (parameters is not null ? HuggingFaceFolder.Get<double?>(parameters, "rope_theta", path) : null)
            ?? HuggingFaceFolder.Get<double?>(json, "rope_theta", path) ?? 10000;
        if (scaling is null) return (theta, new RopeScaling(RopeScalingType.None));
        var type = HuggingFaceFolder.Get<string>(scaling, "rope_type", path) ?? HuggingFaceFolder.Get<string>(scaling, "type", path) ?? "default";
        double Factor() => HuggingFaceFolder.Require<double>(scaling, "factor", $"{path}: {where}");
        return type switch
        {
            "default" => (theta, new RopeScaling(RopeScalingType.None)),
            "linear" => (theta, new RopeScaling(RopeScalingType.Linear, Factor())),
            "llama3" => (theta, new RopeScaling(RopeScalingType.Llama3, Factor(),
                HuggingFaceFolder.Require<double>(scaling, "low_freq_factor", $"{path}: {where}"),
                HuggingFaceFolder.Require<double>(scaling, "high_freq_factor", $"{path}: {where}"),
                HuggingFaceFolder.Require<int>(scaling, "original_max_position_embeddings", $"{path}: {where}"))),
            _ => throw new NotSupportedException($"{path}: {where} type '{type}' is not supported (default, linear or llama3)"),
        };
    }

    public static JsonObject Write(LlamaConfig config)
    {
        var modelType = ModelTypes.Single(t => t.Value == config.Family).Key;
        var json = new JsonObject
        {
            ["model_type"] = modelType,
            ["architectures"] = new JsonArray(Architectures[config.Family]),
            ["vocab_size"] = config.VocabSize,
            ["max_position_embeddings"] = config.Positions,
            ["hidden_size"] = config.Embedding,
            ["intermediate_size"] = config.Inner,
            ["num_hidden_layers"] = config.Layers,
            ["num_attention_heads"] = config.Heads,
            ["num_key_value_heads"] = config.KvHeads,
            ["head_dim"] = config.HeadSize,
            ["hidden_act"] = "silu",
            ["rms_norm_eps"] = config.RmsNormEpsilon,
            ["rope_theta"] = config.RopeTheta,
            ["tie_word_embeddings"] = config.TiedEmbeddings,
        };
        if (config.Family != LlamaFamily.Qwen2) json["attention_bias"] = config.OutputBias;
        if (config.SlidingWindow is { } window) json["sliding_window"] = window;
        json["rope_scaling"] = config.Rope.Type switch
        {
            RopeScalingType.Linear => new JsonObject { ["rope_type"] = "linear", ["factor"] = config.Rope.Factor },
            RopeScalingType.Llama3 => new JsonObject
            {
                ["rope_type"] = "llama3",
                ["factor"] = config.Rope.Factor,
                ["low_freq_factor"] = config.Rope.LowFrequencyFactor,
                ["high_freq_factor"] = config.Rope.HighFrequencyFactor,
                ["original_max_position_embeddings"] = config.Rope.OriginalPositions,
            },
            _ => null,
        };
        return json;
    }
}
