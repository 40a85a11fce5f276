using System.Formats.Tar;
using System.IO.Compression;
using System.Text.RegularExpressions;
using YamlDotNet.Serialization;
using FedPrompt.Formats.Checkpoints;

namespace FedPrompt.Model.Checkpoints;

/// <summary>
/// A NeMo Megatron-GPT <c>.nemo</c> file: a tar (plain or gzip) holding model_config.yaml,
/// model_weights.ckpt (a torch.save state dict with Megatron names and per-head interleaved fused
/// QKV) and the tokenizer files its config names with a "nemo:" prefix. The weights are read in
/// place from the tar; a gzip tar is first unpacked to a temporary file.
/// </summary>
public sealed partial class NemoArchive : IDisposable
{
    const string ConfigMember = "model_config.yaml";
    const string WeightsMember = "model_weights.ckpt";

    readonly string? _temporaryTar;

    NemoArchive(string path, GptConfig config, TextTokenizer tokenizer, ITensorSource weights, string? temporaryTar)
    {
        Path = path;
        Config = config;
        Tokenizer = tokenizer;
        Weights = weights;
        _temporaryTar = temporaryTar;
    }

    public string Path { get; }
    public GptConfig Config { get; }
    public TextTokenizer Tokenizer { get; }
    public ITensorSource Weights { get; }

    public static bool IsNemoArchive(string path) => path.EndsWith(".nemo", StringComparison.OrdinalIgnoreCase) && File.Exists(path);

    public static NemoArchive Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: not found", path);
        string? temporaryTar = IsGzip(path) ? Gunzip(path) : null;
        try
        {
            var tarPath = temporaryTar ?? path;
            var members = ReadMembers(tarPath, path);
            var yaml = ReadText(tarPath, members, ConfigMember, path);
            var settings = ParseYaml(yaml, path);
            CheckSupported(settings, path);
            var tokenizer = ReadTokenizer(tarPath, members, settings, path);
            if (!members.TryGetValue(WeightsMember, out var weights))
                throw new InvalidDataException(members.Keys.Any(k => k.EndsWith("/" + WeightsMember, StringComparison.Ordinal))
                    ? $"{path}: holds model-parallel shards ({string.Join(", ", members.Keys.Where(k => k.EndsWith(WeightsMember, StringComparison.Ordinal)))}); merge them into one partition first"
                    : $"{path}: has no {WeightsMember}");
            var stream = new FileRegionStream(tarPath, weights.Offset, weights.Length);
            var source = TorchZipCheckpoint.Open(stream, $"{path}!{WeightsMember}");
            try
            {
                var config = ReadConfig(settings, source, path);
                return new NemoArchive(path, config, tokenizer, source, temporaryTar);
            }
            catch
            {
                source.Dispose();
                throw;
            }
        }
        catch
        {
            if (temporaryTar is not null) File.Delete(temporaryTar);
            throw;
        }
    }

    /// <summary>Megatron names → model parameters. Names may carry the Float16Module wrapper's
    /// "module." and older releases' "transformer."/"attention." spellings.</summary>
    public (Dictionary<string, MappedWeight> Weights, List<string> Unexpected) Map()
    {
        var weights = new Dictionary<string, MappedWeight>(StringComparer.Ordinal);
        var unexpected = new List<string>();
        foreach (var (storedName, tensor) in Weights.Tensors)
        {
            if (storedName.EndsWith("._extra_state", StringComparison.Ordinal)) continue;
            var match = MegatronName().Match(storedName);
            if (!match.Success)
            {
                unexpected.Add(storedName);
                continue;
            }
            var layer = match.Groups["layer"].Value;
            var part = match.Groups["part"].Value;
            var kind = match.Groups["kind"].Value;
            var (name, transform) = part switch
            {
                "embedding.word_embeddings" => ("wte", WeightTransform.None),
                "embedding.position_embeddings" => ("wpe", WeightTransform.None),
                "final_layernorm" => ("ln_f", WeightTransform.None),
                "input_layernorm" => ($"h.{layer}.ln_1", WeightTransform.None),
                "post_attention_layernorm" => ($"h.{layer}.ln_2", WeightTransform.None),
                "query_key_value" => ($"h.{layer}.attn.c_attn", WeightTransform.MegatronQkv),
                "dense" => ($"h.{layer}.attn.c_proj", WeightTransform.None),
                "dense_h_to_4h" => ($"h.{layer}.mlp.c_fc", WeightTransform.None),
                "dense_4h_to_h" => ($"h.{layer}.mlp.c_proj", WeightTransform.None),
                _ => throw new InvalidOperationException($"unmapped Megatron part {part}"),
            };
            if (!weights.TryAdd($"{name}.{kind}", new MappedWeight(tensor, transform)))
                unexpected.Add($"{storedName} (a second copy of {name}.{kind})");
        }
        return (weights, unexpected);
    }

    [GeneratedRegex(@"^model\.(module\.)?language_model\.(?:(?<part>embedding\.word_embeddings|embedding\.position_embeddings)|(?:encoder|transformer)\.(?:(?<part>final_layernorm)|layers\.(?<layer>\d+)\.(?:(?<part>input_layernorm|post_attention_layernorm)|(?:self_attention|attention)\.(?<part>query_key_value|dense)|mlp\.(?<part>dense_h_to_4h|dense_4h_to_h))))\.(?<kind>weight|bias)$")]
    private static partial Regex MegatronName();

    static GptConfig ReadConfig(Dictionary<string, object?> settings, ITensorSource weights, string path)
    {
        var embedding = weights.Tensors
            .FirstOrDefault(t => t.Key.EndsWith("language_model.embedding.word_embeddings.weight", StringComparison.Ordinal)).Value
            ?? throw new InvalidDataException($"{path}: {WeightsMember} has no language_model.embedding.word_embeddings.weight");
        int hidden = Int(settings, "hidden_size", path) ?? throw Missing("hidden_size", path);
        int heads = Int(settings, "num_attention_heads", path) ?? throw Missing("num_attention_heads", path);
        var kvChannels = Int(settings, "kv_channels", path);
        if (kvChannels is not null && kvChannels != hidden / heads)
            throw new NotSupportedException($"{path}: kv_channels {kvChannels} differs from hidden_size / num_attention_heads; not supported");
        return new GptConfig
        {
            // Megatron pads the vocabulary (make_vocab_size_divisible_by); the stored table says by how much.
            VocabSize = (int)embedding.Shape[0],
            Positions = Int(settings, "max_position_embeddings", path) ?? Int(settings, "encoder_seq_length", path) ?? throw Missing("max_position_embeddings", path),
            Embedding = hidden,
            Layers = Int(settings, "num_layers", path) ?? throw Missing("num_layers", path),
            Heads = heads,
            Inner = Int(settings, "ffn_hidden_size", path),
            LayerNormEpsilon = Double(settings, "layernorm_epsilon", path) ?? 1e-5,
            Activation = Text(settings, "openai_gelu") == "true" ? GptActivation.GeluTanh : GptActivation.GeluErf,
        }.Validated(path);
    }

    /// <summary>Every setting that changes the architecture away from GPT-2 is refused by name.</summary>
    static void CheckSupported(Dictionary<string, object?> settings, string path)
    {
        void Expect(string key, string? expected, params string[] alsoFine)
        {
            var value = Text(settings, key);
            if (value is null || value == expected || alsoFine.Contains(value)) return;
            throw new NotSupportedException($"{path}: {key} = {value} is not supported (FedPrompt runs GPT-2-architecture models: {key} = {expected})");
        }
        Expect("tensor_model_parallel_size", "1");
        Expect("pipeline_model_parallel_size", "1");
        Expect("position_embedding_type", "learned_absolute");
        Expect("activation", "gelu");
        Expect("normalization", "layernorm");
        Expect("transformer_block_type", "pre_ln");
        Expect("bias", "true");
        Expect("share_embeddings_and_output_weights", "true");
        Expect("headscale", "false");
        Expect("normalize_attention_scores", "true");
        Expect("mcore_gpt", "false");
        Expect("num_moe_experts", "null", "1");
        var heads = Text(settings, "num_attention_heads");
        Expect("num_query_groups", "null", heads ?? "");
    }

    static TextTokenizer ReadTokenizer(string tarPath, Dictionary<string, (long Offset, long Length)> members, Dictionary<string, object?> settings, string path)
    {
        if (!settings.TryGetValue("tokenizer", out var node) || node is not Dictionary<object, object?> tokenizer)
            return TextTokenizer.Gpt2();
        string? Field(string key) => tokenizer.TryGetValue(key, out var v) ? v?.ToString() : null;
        var library = Field("library");
        var type = Field("type");
        if (library is not null && library != "megatron" && library != "huggingface")
            throw new NotSupportedException($"{path}: tokenizer.library = {library} is not supported (GPT-2 BPE only)");
        if (type is not null && type != "GPT2BPETokenizer" && type != "gpt2")
            throw new NotSupportedException($"{path}: tokenizer.type = {type} is not supported (GPT-2 BPE only)");
        var vocab = Field("vocab_file");
        var merges = Field("merge_file");
        // Without files of its own, Megatron's GPT2BPETokenizer is the standard GPT-2 vocabulary.
        if (string.IsNullOrEmpty(vocab) || string.IsNullOrEmpty(merges)) return TextTokenizer.Gpt2();
        byte[] Member(string reference) =>
            ReadBytes(tarPath, members, reference.StartsWith("nemo:", StringComparison.Ordinal) ? reference["nemo:".Length..] : System.IO.Path.GetFileName(reference), path);
        return TextTokenizer.FromBytes(Member(vocab), Member(merges), $"GPT-2 BPE from {path} ({vocab}, {merges})");
    }

    static Dictionary<string, (long Offset, long Length)> ReadMembers(string tarPath, string path)
    {
        var members = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        try
        {
            using var file = File.OpenRead(tarPath);
            using var reader = new TarReader(file);
            while (reader.GetNextEntry() is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
                var name = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name;
                if (entry.DataOffset + entry.Length > file.Length)
                    throw new InvalidDataException($"member {name} runs past the end of the file (truncated?)");
                members[name] = (entry.DataOffset, entry.Length);
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new InvalidDataException($"{path}: not a readable .nemo tar archive: {e.Message}", e);
        }
        if (members.Count == 0) throw new InvalidDataException($"{path}: not a .nemo archive (no files in it)");
        return members;
    }

    static byte[] ReadBytes(string tarPath, Dictionary<string, (long Offset, long Length)> members, string member, string path)
    {
        if (!members.TryGetValue(member, out var at))
            throw new InvalidDataException($"{path}: has no {member}");
        using var stream = new FileRegionStream(tarPath, at.Offset, at.Length);
        var bytes = new byte[at.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    static string ReadText(string tarPath, Dictionary<string, (long Offset, long Length)> members, string member, string path) =>
        System.Text.Encoding.UTF8.GetString(ReadBytes(tarPath, members, member, path));

    static Dictionary<string, object?> ParseYaml(string yaml, string path)
    {
        try
        {
            var parsed = new DeserializerBuilder().Build().Deserialize<Dictionary<object, object?>>(yaml)
                ?? throw new InvalidDataException("empty");
            // NeMo sometimes nests the model config under "model" (a training config saved whole).
            if (parsed.TryGetValue("model", out var inner) && inner is Dictionary<object, object?> model && model.ContainsKey("num_layers"))
                parsed = model;
            return parsed.ToDictionary(kv => kv.Key.ToString()!, kv => kv.Value);
        }
        catch (Exception e) when (e is YamlDotNet.Core.YamlException or InvalidDataException)
        {
            throw new InvalidDataException($"{path}: {ConfigMember} is not valid YAML: {e.Message}", e);
        }
    }

    /// <summary>A scalar setting as text; YAML's null spellings become "null", booleans lower case.</summary>
    static string? Text(Dictionary<string, object?> settings, string key)
    {
        if (!settings.TryGetValue(key, out var value)) return null;
        var text = value?.ToString() ?? "null";
        if (text is "~" or "" or "Null" or "NULL") return "null";
        var lower = text.ToLowerInvariant();
        return lower is "true" or "false" ? lower : text;
    }

    static int? Int(Dictionary<string, object?> settings, string key, string path)
    {
        var text = Text(settings, key);
        if (text is null || text == "null") return null;
        return int.TryParse(text, out var value) ? value : throw new InvalidDataException($"{path}: {ConfigMember}: {key} = {text} is not an integer");
    }

    static double? Double(Dictionary<string, object?> settings, string key, string path)
    {
        var text = Text(settings, key);
        if (text is null || text == "null") return null;
        return double.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value : throw new InvalidDataException($"{path}: {ConfigMember}: {key} = {text} is not a number");
    }

    static InvalidDataException Missing(string key, string path) => new($"{path}: {ConfigMember} has no {key}");

    static bool IsGzip(string path)
    {
        using var file = File.OpenRead(path);
        return file.ReadByte() == 0x1f && file.ReadByte() == 0x8b;
    }

    static string Gunzip(string path)
    {
        var temporary = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"fedprompt-{Guid.NewGuid():N}.tar");
        try
        {
            using var input = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
            using var output = File.Create(temporary);
            input.CopyTo(output);
            return temporary;
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            File.Delete(temporary);
            throw new InvalidDataException($"{path}: corrupt gzip-compressed .nemo: {e.Message}", e);
        }
    }

    public void Dispose()
    {
        Weights.Dispose();
        if (_temporaryTar is not null) File.Delete(_temporaryTar);
    }
}
