using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace FedPrompt.Model.Tokenization;

/// <summary>
/// The stages of a tokenizer.json around its model: normalizer, pre_tokenizer, decoder and
/// post_processor. Only what byte-level BPE models ship is accepted; anything else is refused by
/// name rather than tokenized differently from Hugging Face.
/// </summary>
static class TokenizerPipelineJson
{
    public static Func<string, string> Normalizer(JsonObject root, string path)
    {
        var normalizer = JsonFields.Object(root, "normalizer", path);
        return normalizer is null ? text => text : Stage(normalizer, path);
    }

    static Func<string, string> Stage(JsonObject normalizer, string path)
    {
        var type = JsonFields.Type(normalizer, "normalizer", path);
        switch (type)
        {
            case "NFC":
                return new NfcNormalizer(path).Apply;
            case "Sequence":
                var stages = (JsonFields.Array(normalizer, "normalizers", path) ?? [])
                    .Select(n => Stage(n as JsonObject ?? throw new InvalidDataException($"{path}: a normalizer in the Sequence is not an object"), path))
                    .ToList();
                return text => stages.Aggregate(text, (current, stage) => stage(current));
            default:
                throw new NotSupportedException($"{path}: normalizer {type} is not supported (NFC only, as byte-level BPE models use)");
        }
    }

    /// <summary>The pre_tokenizer as stages: ByteLevel alone, or a Sequence of Split/Digits ending in ByteLevel.</summary>
    public static IReadOnlyList<PreTokenizerStep> PreTokenizer(JsonObject root, string path)
    {
        var preTokenizer = JsonFields.Object(root, "pre_tokenizer", path)
            ?? throw new NotSupportedException($"{path}: no pre_tokenizer, so not a byte-level BPE (ByteLevel, alone or after Split or Digits, is required)");
        var type = JsonFields.Type(preTokenizer, "pre_tokenizer", path);
        if (type == "ByteLevel") return ByteLevel(preTokenizer, path).ToList();
        if (type != "Sequence") throw UnsupportedPreTokenizer(type, path);
        var stages = (JsonFields.Array(preTokenizer, "pretokenizers", path) ?? [])
            .Select(s => s as JsonObject ?? throw new InvalidDataException($"{path}: a pre_tokenizer in the Sequence is not an object"))
            .ToList();
        if (stages.Count == 0 || JsonFields.Type(stages[^1], "pre_tokenizer", path) != "ByteLevel")
            throw new NotSupportedException($"{path}: the pre_tokenizer Sequence does not end in ByteLevel, so it is not a byte-level BPE");
        var steps = new List<PreTokenizerStep>();
        foreach (var stage in stages.SkipLast(1))
        {
            var stageType = JsonFields.Type(stage, "pre_tokenizer", path);
            steps.Add(stageType switch
            {
                "Split" => Split(stage, path),
                "Digits" => new IsolatedSplit(JsonFields.Bool(stage, "individual_digits", path) == true
                    ? PreTokenizerStep.SingleDigit()
                    : PreTokenizerStep.DigitRun()),
                _ => throw UnsupportedPreTokenizer(stageType, path),
            });
        }
        steps.AddRange(ByteLevel(stages[^1], path));
        return steps;
    }

    // The byte mapping itself is the BPE model's (ByteLevel = true); what is left is where pieces start and end.
    static IEnumerable<PreTokenizerStep> ByteLevel(JsonObject byteLevel, string path)
    {
        // Hugging Face's defaults, for a file that leaves a field out.
        if (JsonFields.Bool(byteLevel, "add_prefix_space", path) ?? true) yield return new PrefixSpace();
        if (JsonFields.Bool(byteLevel, "use_regex", path) ?? true) yield return new IsolatedSplit(PreTokenizerStep.ByteLevelPattern());
    }

    static IsolatedSplit Split(JsonObject split, string path)
    {
        var behavior = JsonFields.String(split, "behavior", path);
        if (behavior != "Isolated")
            throw new NotSupportedException($"{path}: pre_tokenizer Split with behavior {behavior ?? "(none)"} is not supported (Isolated only)");
        if (JsonFields.Bool(split, "invert", path) == true)
            throw new NotSupportedException($"{path}: pre_tokenizer Split with invert true is not supported");
        var pattern = JsonFields.Object(split, "pattern", path)
            ?? throw new InvalidDataException($"{path}: pre_tokenizer Split has no \"pattern\"");
        string expression;
        if (JsonFields.String(pattern, "Regex", path) is { } regex) expression = regex;
        else if (JsonFields.String(pattern, "String", path) is { } literal) expression = Regex.Escape(literal);
        else throw new InvalidDataException($"{path}: pre_tokenizer Split pattern is neither {{\"Regex\": ...}} nor {{\"String\": ...}}");
        try
        {
            // Oniguruma (Hugging Face's engine) and .NET read what these patterns use (\p{L}, \p{N}, (?i:...),
            // lookahead) alike. .NET matches UTF-16 units, so a letter or digit beyond U+FFFF counts as neither.
            return new IsolatedSplit(new Regex(expression, RegexOptions.CultureInvariant | RegexOptions.Compiled));
        }
        catch (ArgumentException e)
        {
            throw new NotSupportedException($"{path}: pre_tokenizer Split pattern {expression} is not a regular expression .NET accepts: {e.Message}", e);
        }
    }

    static NotSupportedException UnsupportedPreTokenizer(string type, string path) =>
        new($"{path}: pre_tokenizer {type} is not supported (ByteLevel, alone or after Split or Digits)");

    /// <summary>Byte-level models decode through the byte alphabet; another decoder would mean other text.</summary>
    public static void RequireByteLevelDecoder(JsonObject root, string path)
    {
        if (JsonFields.Object(root, "decoder", path) is { } decoder && JsonFields.Type(decoder, "decoder", path) is var type && type != "ByteLevel")
            throw new NotSupportedException($"{path}: decoder {type} is not supported (ByteLevel only)");
    }

    /// <summary>The id a TemplateProcessing post_processor puts before a single text (Llama 3's
    /// &lt;|begin_of_text|&gt;), if its template starts with a special token; null otherwise.</summary>
    public static int? TemplateBeginningId(JsonObject root, string path)
    {
        var processor = JsonFields.Object(root, "post_processor", path);
        if (processor is null) return null;
        var processors = JsonFields.Type(processor, "post_processor", path) == "Sequence"
            ? (JsonFields.Array(processor, "processors", path) ?? []).OfType<JsonObject>()
            : [processor];
        var template = processors.FirstOrDefault(p => JsonFields.String(p, "type", path) == "TemplateProcessing");
        if (template is null) return null;
        if (JsonFields.Array(template, "single", path) is not [JsonObject first, ..] || JsonFields.Object(first, "SpecialToken", path) is not { } special)
            return null;
        var name = JsonFields.String(special, "id", path)
            ?? throw new InvalidDataException($"{path}: the post_processor template's SpecialToken has no \"id\"");
        var entry = JsonFields.Object(template, "special_tokens", path) is { } specials ? JsonFields.Object(specials, name, path) : null;
        if (entry is null || JsonFields.Array(entry, "ids", path) is not [var id, ..])
            throw new InvalidDataException($"{path}: the post_processor template starts with {name}, which its special_tokens give no ids");
        return JsonFields.Id(id, $"the post_processor's id of {name}", path);
    }
}
