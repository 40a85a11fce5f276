using System.Text.Json.Nodes;

namespace FedPrompt.Model.Tokenization;

/// <summary>
/// A Hugging Face tokenizer.json whose model is byte-level BPE (GPT-2, Llama 3, Qwen2.5/3,
/// SmolLM2): model.vocab and model.merges (as "a b" strings or ["a", "b"] pairs), added_tokens,
/// ignore_merges, and the stages <see cref="TokenizerPipelineJson"/> reads.
/// </summary>
static class TokenizerJson
{
    public const string FileName = "tokenizer.json";

    /// <summary>A SentencePiece BPE converted to tokenizer.json (Llama 2, Mistral): unknown bytes
    /// fall back to &lt;0xNN&gt; tokens, which a byte-level BPE never needs.</summary>
    public static bool IsSentencePieceConversion(JsonObject root, string path) =>
        JsonFields.Object(root, "model", path) is { } model && JsonFields.Bool(model, "byte_fallback", path) == true;

    public static TokenizerFile Read(JsonObject root, string path)
    {
        var model = JsonFields.Object(root, "model", path) ?? throw new InvalidDataException($"{path}: no \"model\"");
        // Old files leave the type out; tokenizers then tells the model by its fields.
        var type = JsonFields.String(model, "type", path) ?? (model.ContainsKey("merges") ? "BPE" : "(none)");
        if (type != "BPE") throw new NotSupportedException($"{path}: model type {type} is not supported (byte-level BPE only)");
        if (JsonFields.Bool(model, "byte_fallback", path) == true)
            throw new NotSupportedException($"{path}: a SentencePiece-style BPE (byte_fallback); its tokenizer.model is read instead, and there is none beside it");
        foreach (var affix in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
            if (JsonFields.String(model, affix, path) is { Length: > 0 } value)
                throw new NotSupportedException($"{path}: model {affix} \"{value}\" is not supported (byte-level BPE has none)");
        if (model["dropout"] is JsonValue dropout && dropout.TryGetValue(out double rate) && rate > 0)
            throw new NotSupportedException($"{path}: model dropout {rate} is not supported (it makes encoding random)");

        var vocabulary = Vocabulary(JsonFields.Object(model, "vocab", path) ?? throw new InvalidDataException($"{path}: the model has no \"vocab\""), path);
        var merges = Merges(JsonFields.Array(model, "merges", path) ?? [], vocabulary, path);
        var added = AddedTokens(root, path);
        var unknown = JsonFields.String(model, "unk_token", path);
        if (unknown is not null && !vocabulary.ContainsKey(unknown))
            throw new InvalidDataException($"{path}: the model's unk_token \"{unknown}\" is not in its vocabulary");
        var normalize = TokenizerPipelineJson.Normalizer(root, path);
        var steps = TokenizerPipelineJson.PreTokenizer(root, path);
        TokenizerPipelineJson.RequireByteLevelDecoder(root, path);
        bool ignoreMerges = JsonFields.Bool(model, "ignore_merges", path) ?? false;
        var codec = Build(path, () => new ByteLevelBpe(vocabulary, merges, new AddedTokens(added), normalize, steps, ignoreMerges, unknown));
        int highest = Math.Max(vocabulary.Values.Max(), added.Select(t => t.Id).DefaultIfEmpty(-1).Max());
        var beginning = TokenizerPipelineJson.TemplateBeginningId(root, path);
        var format = new FormatSpecialTokens(codec.IdOf, codec.IdOf(TextTokenizer.EndOfText), beginning, AddsBeginning: beginning is not null);
        return new TokenizerFile(codec, highest + 1, format);
    }

    /// <summary>Microsoft.ML's checks of the vocabulary and merges (say, two tokens with one id) as errors in the file.</summary>
    public static ByteLevelBpe Build(string path, Func<ByteLevelBpe> build)
    {
        try
        {
            return build();
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            throw new InvalidDataException($"{path}: not a usable BPE vocabulary and merges: {e.Message}", e);
        }
    }

    /// <summary>A vocabulary object (model.vocab, or a whole vocab.json): token → id.</summary>
    public static Dictionary<string, int> Vocabulary(JsonObject vocab, string path)
    {
        var vocabulary = new Dictionary<string, int>(vocab.Count, StringComparer.Ordinal);
        foreach (var (token, id) in vocab) vocabulary[token] = JsonFields.Id(id, $"the id of vocabulary token \"{token}\"", path);
        if (vocabulary.Count == 0) throw new InvalidDataException($"{path}: the vocabulary is empty");
        return vocabulary;
    }

    static List<(string Left, string Right)> Merges(JsonArray merges, Dictionary<string, int> vocabulary, string path)
    {
        var pairs = new List<(string, string)>(merges.Count);
        foreach (var merge in merges)
        {
            pairs.Add(merge switch
            {
                JsonValue line when line.TryGetValue(out string? text) => MergeLine(text, pairs.Count + 1, path),
                JsonArray and [JsonValue left, JsonValue right] when left.TryGetValue(out string? a) && right.TryGetValue(out string? b) => (a, b),
                _ => throw new InvalidDataException($"{path}: merge {pairs.Count + 1} is {JsonFields.Show(merge)}, neither \"a b\" nor [\"a\", \"b\"]"),
            });
        }
        return CheckedMerges(pairs, vocabulary, path);
    }

    /// <summary>One merge written "a b" (a line of merges.txt, or a string in model.merges).</summary>
    public static (string Left, string Right) MergeLine(string line, int number, string path) =>
        line.Split(' ') is [{ Length: > 0 } left, { Length: > 0 } right]
            ? (left, right)
            : throw new InvalidDataException($"{path}: merge {number} \"{line}\" is not two tokens separated by a space");

    /// <summary>Merges whose parts and results are all vocabulary tokens; of a pair listed twice the
    /// later rank stands, as tokenizers builds its merge map.</summary>
    public static List<(string Left, string Right)> CheckedMerges(List<(string Left, string Right)> merges, Dictionary<string, int> vocabulary, string path)
    {
        var lastRank = new Dictionary<(string, string), int>();
        for (int rank = 0; rank < merges.Count; rank++)
        {
            var (left, right) = merges[rank];
            foreach (var token in new[] { left, right, left + right })
            {
                if (token.Contains(' '))
                    throw new InvalidDataException($"{path}: merge {rank + 1} (\"{left}\" \"{right}\") has a space in a token; byte-level BPE spells a space Ġ");
                if (!vocabulary.ContainsKey(token))
                    throw new InvalidDataException($"{path}: merge {rank + 1} (\"{left}\" \"{right}\") names \"{token}\", which is not in the vocabulary");
            }
            lastRank[(left, right)] = rank;
        }
        return merges.Where((merge, rank) => lastRank[merge] == rank).ToList();
    }

    static List<AddedToken> AddedTokens(JsonObject root, string path)
    {
        var tokens = new List<AddedToken>();
        foreach (var node in JsonFields.Array(root, "added_tokens", path) ?? [])
        {
            var token = node as JsonObject ?? throw new InvalidDataException($"{path}: an entry of added_tokens is not an object");
            var id = JsonFields.Id(token["id"], "an added token's id", path);
            var content = JsonFields.String(token, "content", path);
            if (string.IsNullOrEmpty(content)) throw new InvalidDataException($"{path}: added token {id} has no content");
            foreach (var option in new[] { "single_word", "lstrip", "rstrip" })
                if (JsonFields.Bool(token, option, path) == true)
                    throw new NotSupportedException($"{path}: added token {content} has {option} true, which is not supported");
            bool special = JsonFields.Bool(token, "special", path) ?? false;
            // tokenizers' default: special tokens are matched as written, others after normalization.
            tokens.Add(new AddedToken(id, content, JsonFields.Bool(token, "normalized", path) ?? !special));
        }
        return tokens;
    }
}
