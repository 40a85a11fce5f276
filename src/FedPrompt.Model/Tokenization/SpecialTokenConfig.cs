using System.Text.Json.Nodes;

namespace FedPrompt.Model.Tokenization;

/// <summary>End-of-text ids (the first is the EOS; all of them stop generation), the
/// beginning-of-text id, and whether the model wants it before every text.</summary>
sealed record SpecialTokenIds(IReadOnlyList<int> StopIds, int? BeginningId, bool AddsBeginning);

/// <summary>What a tokenizer format says of its own special tokens, for when no config file does.</summary>
/// <param name="IdOf">A token's id from its text, or null if the tokenizer has no such token.</param>
sealed record FormatSpecialTokens(Func<string, int?> IdOf, int? EndId, int? BeginningId, bool AddsBeginning);

/// <summary>
/// A model folder's special ids, from the first file that names each, in the order Hugging Face
/// gives them weight: generation_config.json and config.json (eos_token_id / bos_token_id, a
/// number or a list), then tokenizer_config.json (eos_token / bos_token as text or {"content": ...},
/// add_bos_token), then the tokenizer itself.
/// </summary>
static class SpecialTokenConfig
{
    public const string GenerationConfig = "generation_config.json";
    public const string TokenizerConfig = "tokenizer_config.json";
    const string ModelConfig = "config.json";

    /// <summary>The ids, and the bytes of the tokenizer's own config files that were there (saved with the tokenizer).</summary>
    public static (SpecialTokenIds Ids, Dictionary<string, byte[]> Files) Read(string folder, FormatSpecialTokens format, int vocabularySize)
    {
        var files = new Dictionary<string, byte[]>();
        ConfigFile? Load(string name, bool keep)
        {
            var path = Path.Combine(folder, name);
            if (!File.Exists(path)) return null;
            var bytes = File.ReadAllBytes(path);
            if (keep) files[name] = bytes;
            return new ConfigFile(JsonFields.ParseObject(bytes, path), path);
        }
        ConfigFile?[] idFiles = [Load(GenerationConfig, keep: true), Load(ModelConfig, keep: false)];
        var tokenizer = Load(TokenizerConfig, keep: true);

        var stops = idFiles.Select(f => IdList(f, "eos_token_id", vocabularySize)).FirstOrDefault(ids => ids is not null)
            ?? Listed(TokenId(tokenizer, "eos_token", format))
            ?? Listed(format.EndId)
            ?? throw new InvalidDataException(
                $"{folder}: no end-of-text token: neither {GenerationConfig} nor {ModelConfig} has eos_token_id, " +
                $"{TokenizerConfig} has no eos_token, and the tokenizer has no {TextTokenizer.EndOfText}");
        var beginning = idFiles.Select(f => IdList(f, "bos_token_id", vocabularySize)?[0]).FirstOrDefault(id => id is not null)
            ?? TokenId(tokenizer, "bos_token", format)
            ?? format.BeginningId;
        bool adds = (tokenizer is null ? null : JsonFields.Bool(tokenizer.Json, "add_bos_token", tokenizer.Path)) ?? format.AddsBeginning;
        if (adds && beginning is null)
            throw new InvalidDataException($"{tokenizer?.Path ?? folder}: the model wants a beginning-of-text token, and no file names one");
        return (new SpecialTokenIds(stops, beginning, adds), files);
    }

    /// <summary>A tokenizer with no config files beside it (one inside a .nemo archive).</summary>
    public static SpecialTokenIds FromFormat(FormatSpecialTokens format, string origin) => new(
        format.EndId is int end ? [end] : throw new InvalidDataException($"{origin}: the vocabulary has no {TextTokenizer.EndOfText} token"),
        format.BeginningId, format.AddsBeginning);

    sealed record ConfigFile(JsonObject Json, string Path);

    static List<int>? Listed(int? id) => id is int value ? [value] : null;

    /// <summary>eos_token_id / bos_token_id: null or absent, one id, or a list of them.</summary>
    static List<int>? IdList(ConfigFile? file, string key, int vocabularySize)
    {
        if (file is null) return null;
        List<int> ids = file.Json[key] switch
        {
            null => [],
            JsonArray list => list.Select(id => JsonFields.Id(id, key, file.Path)).ToList(),
            var single => [JsonFields.Id(single, key, file.Path)],
        };
        foreach (int id in ids)
            if (id >= vocabularySize)
                throw new InvalidDataException($"{file.Path}: {key} {id} is not a token of the tokenizer, which has {vocabularySize}");
        return ids.Count == 0 ? null : ids;
    }

    /// <summary>eos_token / bos_token in tokenizer_config.json: a token's text, or {"content": text}.</summary>
    static int? TokenId(ConfigFile? file, string key, FormatSpecialTokens format)
    {
        if (file is null) return null;
        var text = file.Json[key] switch
        {
            null => null,
            JsonObject token => JsonFields.String(token, "content", file.Path)
                ?? throw new InvalidDataException($"{file.Path}: {key} is an object without \"content\""),
            _ => JsonFields.String(file.Json, key, file.Path),
        };
        if (text is null) return null;
        return format.IdOf(text) ?? throw new InvalidDataException($"{file.Path}: {key} \"{text}\" is not a token of the tokenizer");
    }
}
