using System.Text.Json.Nodes;
using FedPrompt.Model.Tokenization;
using Microsoft.ML.Tokenizers;

namespace FedPrompt.Model;

/// <summary>
/// A model's tokenizer: GPT-2 byte-level BPE (packaged, or a folder's vocab.json + merges.txt), a
/// Hugging Face tokenizer.json byte-level BPE (Llama 3, Qwen2.5/3, SmolLM2), or a SentencePiece
/// BPE tokenizer.model (Llama 2, TinyLlama, Mistral). <see cref="VocabularySize"/> may be smaller
/// than the model's embedding rows (Megatron pads its vocabulary); ids at or beyond it are never
/// produced. <see cref="Encode"/> never adds the beginning-of-text token; callers prepend it when
/// <see cref="AddsBeginningOfText"/>.
/// </summary>
public sealed class TextTokenizer
{
    public const string EndOfText = "<|endoftext|>";
    const string VocabFile = "vocab.json";
    const string MergesFile = "merges.txt";
    const string SentencePieceFile = "tokenizer.model";

    static readonly Lazy<TextTokenizer> PackagedGpt2 = new(() => new TextTokenizer(
        new LibraryCodec(TiktokenTokenizer.CreateForModel("gpt2")), 50257, new SpecialTokenIds([50256], null, false),
        "GPT-2 BPE (packaged data, 50257 tokens)", new Dictionary<string, byte[]>()));

    readonly ITokenCodec _codec;

    TextTokenizer(ITokenCodec codec, int vocabularySize, SpecialTokenIds special, string description, IReadOnlyDictionary<string, byte[]> ownFiles)
    {
        _codec = codec;
        VocabularySize = vocabularySize;
        StopIds = special.StopIds;
        BeginningOfTextId = special.BeginningId;
        AddsBeginningOfText = special.AddsBeginning;
        Description = description;
        OwnFiles = ownFiles;
    }

    /// <summary>One more than the highest id the tokenizer can produce, added tokens included.</summary>
    public int VocabularySize { get; }

    /// <summary>The end-of-text id: what ends a training example, and pads.</summary>
    public int EndOfTextId => StopIds[0];

    /// <summary>Every id that ends generation (Llama 3.1 has three); the first is <see cref="EndOfTextId"/>.</summary>
    public IReadOnlyList<int> StopIds { get; }

    public int? BeginningOfTextId { get; }

    /// <summary>Whether the model was trained with <see cref="BeginningOfTextId"/> before every text.</summary>
    public bool AddsBeginningOfText { get; }

    /// <summary>The format and the file(s) it was read from.</summary>
    public string Description { get; }

    /// <summary>The files this tokenizer was read from, by file name, for a saved model to carry
    /// so that it reloads to the same tokenizer; empty for the packaged GPT-2 BPE.</summary>
    public IReadOnlyDictionary<string, byte[]> OwnFiles { get; }

    public static TextTokenizer Gpt2() => PackagedGpt2.Value;

    /// <summary>
    /// The tokenizer in a model folder: tokenizer.json, else vocab.json + merges.txt, else
    /// tokenizer.model (also in place of a tokenizer.json that is a SentencePiece conversion).
    /// </summary>
    /// <param name="packagedGpt2WhenAbsent">The model is GPT-2, so a folder without tokenizer files
    /// means the standard GPT-2 vocabulary; otherwise such a folder is an error.</param>
    public static TextTokenizer ForFolder(string folder, bool packagedGpt2WhenAbsent = false)
    {
        var json = Path.Combine(folder, TokenizerJson.FileName);
        var vocab = Path.Combine(folder, VocabFile);
        var merges = Path.Combine(folder, MergesFile);
        var sentencePiece = Path.Combine(folder, SentencePieceFile);
        if (File.Exists(json))
        {
            var bytes = File.ReadAllBytes(json);
            var root = JsonFields.ParseObject(bytes, json);
            if (!(TokenizerJson.IsSentencePieceConversion(root, json) && File.Exists(sentencePiece)))
                return FromTokenizerJson(folder, json, bytes, root);
        }
        else if (File.Exists(vocab) || File.Exists(merges))
        {
            foreach (var path in new[] { vocab, merges })
                if (!File.Exists(path)) throw new FileNotFoundException($"{path}: not found (GPT-2 BPE needs both {VocabFile} and {MergesFile})", path);
            var (vocabBytes, mergesBytes) = (File.ReadAllBytes(vocab), File.ReadAllBytes(merges));
            return WithConfigs(folder, Gpt2Files.Read(vocabBytes, mergesBytes, vocab, merges), $"GPT-2 BPE from {vocab} + {merges}",
                new() { [VocabFile] = vocabBytes, [MergesFile] = mergesBytes });
        }
        if (File.Exists(sentencePiece)) return FromSentencePiece(folder, sentencePiece);
        if (packagedGpt2WhenAbsent) return Gpt2();
        throw new FileNotFoundException(
            $"{folder}: no tokenizer (looked for {TokenizerJson.FileName}, {VocabFile} + {MergesFile}, and {SentencePieceFile})", json);
    }

    /// <summary>GPT-2 BPE from the contents of a vocab.json and a merges.txt (a .nemo archive's),
    /// kept so that a saved model carries them.</summary>
    public static TextTokenizer FromBytes(byte[] vocabJson, byte[] mergesText, string origin)
    {
        var bpe = Gpt2Files.Read(vocabJson, mergesText, origin, origin);
        return new TextTokenizer(bpe.Codec, bpe.VocabularySize, SpecialTokenConfig.FromFormat(bpe.Format, origin),
            $"{origin} ({bpe.VocabularySize} tokens)", new Dictionary<string, byte[]> { [VocabFile] = vocabJson, [MergesFile] = mergesText });
    }

    static TextTokenizer FromTokenizerJson(string folder, string path, byte[] bytes, JsonObject root)
    {
        return WithConfigs(folder, TokenizerJson.Read(root, path), $"Hugging Face tokenizer.json byte-level BPE from {path}",
            new() { [TokenizerJson.FileName] = bytes });
    }

    static TextTokenizer FromSentencePiece(string folder, string path)
    {
        var bytes = File.ReadAllBytes(path);
        return WithConfigs(folder, SentencePieceBpe.Read(bytes, path), $"SentencePiece BPE from {path}", new() { [SentencePieceFile] = bytes });
    }

    static TextTokenizer WithConfigs(string folder, TokenizerFile tokenizer, string origin, Dictionary<string, byte[]> tokenizerFiles)
    {
        var (special, configFiles) = SpecialTokenConfig.Read(folder, tokenizer.Format, tokenizer.VocabularySize);
        foreach (var (name, bytes) in configFiles) tokenizerFiles[name] = bytes;
        return new TextTokenizer(tokenizer.Codec, tokenizer.VocabularySize, special, $"{origin} ({tokenizer.VocabularySize} tokens)", tokenizerFiles);
    }

    /// <summary>The text's ids, without a beginning-of-text token.</summary>
    public IReadOnlyList<int> Encode(string text) => _codec.Encode(text);

    public string Decode(IEnumerable<int> ids) => _codec.Decode(ids);
}
