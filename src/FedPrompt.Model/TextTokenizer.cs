using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace FedPrompt.Model;

/// <summary>
/// A model's tokenizer. Today GPT-2 byte-level BPE: the packaged GPT-2 vocabulary by default, or a model's own vocab.json +
/// merges.txt. <see cref="VocabularySize"/> may be smaller than the model's embedding rows
/// (Megatron pads its vocabulary); ids at or beyond it are never produced.
/// </summary>
public sealed partial class TextTokenizer
{
    [GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")]
    private static partial Regex Gpt2Pretokenization();

    public const string EndOfText = "<|endoftext|>";
    static readonly Lazy<TextTokenizer> PackagedGpt2 = new(() =>
        new TextTokenizer(TiktokenTokenizer.CreateForModel("gpt2"), 50257, 50256, "GPT-2 BPE (packaged data, 50257 tokens)"));

    readonly Tokenizer _tokenizer;

    TextTokenizer(Tokenizer tokenizer, int vocabularySize, int endOfTextId, string description)
    {
        _tokenizer = tokenizer;
        VocabularySize = vocabularySize;
        EndOfTextId = endOfTextId;
        Description = description;
    }

    public int VocabularySize { get; }
    public int EndOfTextId { get; }
    public string Description { get; }

    /// <summary>The model's own vocab.json and merges.txt, saved back beside it; null for the packaged GPT-2 BPE.</summary>
    public (byte[] Vocab, byte[] Merges)? OwnFiles { get; private init; }

    public static TextTokenizer Gpt2() => PackagedGpt2.Value;

    public static TextTokenizer FromFiles(string vocabPath, string mergesPath)
    {
        foreach (var path in new[] { vocabPath, mergesPath })
            if (!File.Exists(path)) throw new FileNotFoundException($"{path}: tokenizer file not found", path);
        return FromBytes(File.ReadAllBytes(vocabPath), File.ReadAllBytes(mergesPath), $"GPT-2 BPE from {vocabPath} + {mergesPath}");
    }

    /// <summary>A tokenizer from the contents of a vocab.json and a merges.txt (kept, so a saved model carries them).</summary>
    public static TextTokenizer FromBytes(byte[] vocabJson, byte[] mergesText, string origin)
    {
        Dictionary<string, int> vocab;
        try
        {
            vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(vocabJson) ?? throw new InvalidDataException("empty");
        }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            throw new InvalidDataException($"{origin}: the vocabulary is not a vocab.json (a JSON object of token → id): {e.Message}", e);
        }
        if (!vocab.TryGetValue(EndOfText, out int eos))
            throw new InvalidDataException($"{origin}: the vocabulary has no {EndOfText} token");
        Tokenizer tokenizer;
        try
        {
            var merges = System.Text.Encoding.UTF8.GetString(mergesText).Split('\n')
                .Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0 && !l.StartsWith("#version", StringComparison.Ordinal)).ToList();
            var special = new Dictionary<string, int> { [EndOfText] = eos };
            // GPT-2's byte-level BPE: its pre-tokenization regex, merges by rank over byte symbols.
            tokenizer = BpeTokenizer.Create(new BpeOptions(vocab)
            {
                Merges = merges,
                ByteLevel = true,
                SpecialTokens = special,
                PreTokenizer = new RegexPreTokenizer(Gpt2Pretokenization(), special),
            });
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{origin}: cannot build a BPE tokenizer from its vocab.json and merges.txt: {e.Message}", e);
        }
        return new TextTokenizer(tokenizer, vocab.Count, eos, $"{origin} ({vocab.Count} tokens)")
        {
            OwnFiles = (vocabJson, mergesText),
        };
    }

    /// <summary>The folder's own vocab.json + merges.txt if it has them, else the packaged GPT-2 BPE.</summary>
    public static TextTokenizer ForFolder(string folder)
    {
        var vocab = Path.Combine(folder, "vocab.json");
        var merges = Path.Combine(folder, "merges.txt");
        return File.Exists(vocab) && File.Exists(merges) ? FromFiles(vocab, merges) : Gpt2();
    }

    public IReadOnlyList<int> Encode(string text) => _tokenizer.EncodeToIds(text);

    public string Decode(IEnumerable<int> ids) => _tokenizer.Decode(ids) ?? "";
}
