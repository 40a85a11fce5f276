using System.Text.Json.Nodes;
using FedPrompt.Formats;
using FedPrompt.Formats.Artefacts;
using FedPrompt.Formats.Checkpoints;
using FedPrompt.Formats.Settings;
using FedPrompt.Model.Checkpoints;
using FedPrompt.Model.Native;
using static TorchSharp.torch;

namespace FedPrompt.Model;

/// <summary>A frozen decoder (GPT-2, Megatron-GPT or the Llama family) with its tokenizer, loaded from a Hugging Face folder or a NeMo .nemo file.</summary>
public sealed class LanguageModel : IDisposable
{
    LanguageModel(Decoder network, TextTokenizer tokenizer, string origin, string format, IReadOnlyCollection<StoredDType> storedTypes,
        Precision requested, string? fingerprint)
    {
        if (tokenizer.VocabularySize > network.Config.VocabSize)
            throw new InvalidDataException($"{origin}: the tokenizer has {tokenizer.VocabularySize} tokens, the model's embedding only {network.Config.VocabSize} rows");
        Network = network;
        Tokenizer = tokenizer;
        Origin = origin;
        Format = format;
        StoredTypes = storedTypes;
        RequestedPrecision = requested;
        _fingerprint = fingerprint;
    }

    public Decoder Network { get; }
    public TextTokenizer Tokenizer { get; }
    public DecoderConfig Config => Network.Config;
    /// <summary>What a prompt encoder trained on this model records, so it is never used with another.</summary>
    public BaseModelIdentity Identity => new(Config.Describe(), Fingerprint);
    public string Origin { get; }
    public string Format { get; }
    /// <summary>Element types of the weights on disk.</summary>
    public IReadOnlyCollection<StoredDType> StoredTypes { get; }

    /// <summary>What the caller asked for (possibly <see cref="Formats.Settings.Precision.Auto"/>).</summary>
    public Precision RequestedPrecision { get; }

    /// <summary>How the frozen model computes: fp32 or bf16, never auto.</summary>
    public Precision Precision => Network.ComputeType == ScalarType.BFloat16 ? Precision.Bf16 : Precision.Fp32;

    /// <param name="precision">How to hold and compute the weights; auto is bf16 where this machine multiplies it clearly faster (<see cref="AutoPrecision"/>).</param>
    public static LanguageModel Load(string path, Precision precision = Precision.Auto)
    {
        TorchNative.EnsureLoaded();
        if (Directory.Exists(path)) return LoadHuggingFace(path, precision);
        if (NemoArchive.IsNemoArchive(path)) return LoadNemo(path, precision);
        if (File.Exists(path))
            throw new NotSupportedException($"{path}: not a model (expected a Hugging Face folder with config.json, or a .nemo file)");
        throw new FileNotFoundException($"{path}: no such model folder or .nemo file", path);
    }

    /// <summary>A randomly initialised model, for pretraining from scratch and for tests: the seed's
    /// fp32 draws, rounded to bf16 when that is the precision.</summary>
    public static LanguageModel Create(DecoderConfig config, TextTokenizer tokenizer, long seed, Precision precision = Precision.Auto)
    {
        TorchNative.EnsureLoaded();
        var network = Decoder.Create(config, precision.ScalarType());
        network.InitializeForPretraining(seed);
        return new LanguageModel(network, tokenizer, "(new model)", "in memory", [StoredDType.F32], precision, fingerprint: null);
    }

    static LanguageModel LoadHuggingFace(string folder, Precision precision)
    {
        var config = HuggingFaceFolder.ReadConfig(folder);
        // A GPT-2 folder without tokenizer files has GPT-2's; any other model must bring its own.
        var tokenizer = TextTokenizer.ForFolder(folder, packagedGpt2WhenAbsent: config is GptConfig);
        using var source = HuggingFaceFolder.OpenWeights(folder);
        var network = Decoder.Create(config, precision.ScalarType());
        var (weights, unexpected, lmHead) = HuggingFaceFolder.Map(source, config);
        var fingerprint = WeightLoader.Load(network, weights, unexpected, source.Origin);
        if (lmHead is not null) RequireTied(network, lmHead, source.Origin);
        return Frozen(network, tokenizer, folder, $"Hugging Face folder ({Path.GetFileName(source.Origin)})", source, precision, fingerprint);
    }

    static LanguageModel LoadNemo(string path, Precision precision)
    {
        using var archive = NemoArchive.Open(path);
        var network = new Gpt(archive.Config, precision.ScalarType());
        var (weights, unexpected) = archive.Map();
        var fingerprint = WeightLoader.Load(network, weights, unexpected, archive.Weights.Origin);
        return Frozen(network, archive.Tokenizer, path, "NeMo archive (.nemo)", archive.Weights, precision, fingerprint);
    }

    static LanguageModel Frozen(Decoder network, TextTokenizer tokenizer, string origin, string format, ITensorSource source, Precision precision, string? fingerprint)
    {
        network.Freeze();
        network.eval();
        var types = source.Tensors.Values.Select(t => t.DType).Distinct().Order().ToList();
        return new LanguageModel(network, tokenizer, origin, format, types, precision, fingerprint);
    }

    static void RequireTied(Decoder network, StoredTensor lmHead, string origin)
    {
        using var scope = NewDisposeScope();
        // Compared as held: a bf16 model holds both rounded alike.
        var head = WeightLoader.Read(lmHead, origin).to_type(network.WeightType);
        if (!head.shape.SequenceEqual(network.TokenEmbedding.shape) || !head.equal(network.TokenEmbedding).all().item<bool>())
            throw new NotSupportedException($"{origin}: lm_head.weight differs from the token embedding; untied LM heads are not supported");
    }

    /// <summary>A text's tokens as the model reads a text: with the beginning-of-text token first
    /// where its family puts one there (Llama 2 and 3, Mistral; not GPT-2 or Qwen).</summary>
    public IReadOnlyList<int> Encode(string text)
    {
        var tokens = Tokenizer.Encode(text);
        return Tokenizer.AddsBeginningOfText && Tokenizer.BeginningOfTextId is int bos ? [bos, .. tokens] : tokens;
    }

    /// <summary>log p(token i+1 | tokens 0..i) for every i: one fewer than the tokens.</summary>
    public float[] LogProbabilities(IReadOnlyList<int> tokens)
    {
        if (tokens.Count > Config.Positions)
            throw new ArgumentException($"the text is {tokens.Count} tokens; the model has {Config.Positions} positions");
        if (tokens.Count < 2) return [];
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var ids = tensor(tokens.Select(t => (long)t).ToArray()).unsqueeze(0);
        var logProbs = Network.LmHead(Network.ForwardTokens(ids)[0, ..^1]).log_softmax(-1);
        var next = ids[0, 1..].unsqueeze(1);
        return logProbs.gather(1, next).squeeze(1).data<float>().ToArray();
    }

    /// <summary>Writes a Hugging Face folder (config.json, model.safetensors, and the files the tokenizer
    /// was read from, if any) that this engine and Hugging Face both load; weights in fp32, or rounded
    /// to fp16/bf16 to halve the file.</summary>
    public void Save(string folder, StoredDType dtype = StoredDType.F32)
    {
        var scalar = dtype switch
        {
            StoredDType.F32 => ScalarType.Float32,
            StoredDType.F16 => ScalarType.Float16,
            StoredDType.BF16 => ScalarType.BFloat16,
            _ => throw new ArgumentException($"weights are saved as F32, F16 or BF16, not {dtype}"),
        };
        Directory.CreateDirectory(folder);
        var config = HuggingFaceFolder.ConfigJson(Config);
        config["torch_dtype"] = dtype switch { StoredDType.F16 => "float16", StoredDType.BF16 => "bfloat16", _ => "float32" };
        // The special ids may have come from the config.json this one replaces; written here, they reload the same.
        config["eos_token_id"] = Tokenizer.StopIds is [int eos] ? eos : new JsonArray([.. Tokenizer.StopIds.Select(id => (JsonNode)id)]);
        if (Tokenizer.BeginningOfTextId is int bos) config["bos_token_id"] = bos;
        AtomicFile.WriteAllText(Path.Combine(folder, HuggingFaceFolder.ConfigFile), config.ToJsonString(new() { WriteIndented = true }));
        var tensors = Network.named_parameters().Select(p =>
        {
            var (name, parameter) = p;
            var conv1D = HuggingFaceFolder.IsConv1DWeight(name);
            var shape = conv1D ? parameter.shape.Reverse().ToArray() : parameter.shape;
            return new SafeTensorsEntry(name, dtype, shape, stream =>
            {
                using var scope = NewDisposeScope();
                var stored = (conv1D ? parameter.detach().t() : parameter.detach()).to_type(scalar).contiguous();
                stream.Write(stored.bytes);
            });
        }).ToList();
        SafeTensorsWriter.WriteFile(Path.Combine(folder, HuggingFaceFolder.SafeTensorsFile), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        foreach (var (name, bytes) in Tokenizer.OwnFiles) AtomicFile.WriteAllBytes(Path.Combine(folder, name), bytes);
    }

    /// <summary>The base model's identity (<see cref="WeightFingerprint"/>), so a prompt encoder trained
    /// on one model is never silently applied to another. A loaded model's is taken from the weights
    /// as read, before any rounding to bf16: the same checkpoint has one identity in every precision,
    /// so sites computing in bf16 and in fp32 federate one job.</summary>
    public string Fingerprint => _fingerprint ??= WeightFingerprint.Of(Network);
    string? _fingerprint;

    public string Describe() =>
        $"{Config.Describe()}; {Config.ParameterCount:N0} parameters; stored as {string.Join("/", StoredTypes)}, " +
        $"computed in {RequestedPrecision.Describe()}; tokenizer: {Tokenizer.Description}";

    public void Dispose() => Network.Dispose();
}
