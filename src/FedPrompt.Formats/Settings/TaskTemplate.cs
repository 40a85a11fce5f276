using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace FedPrompt.Formats.Settings;

/// <summary>
/// A task template in NeMo's format: a prompt with &lt;|VIRTUAL_PROMPT_i|&gt; markers and {field}
/// slots, how many virtual tokens each marker stands for, which field is the answer, and (NeMo's
/// data settings, kept with the template here) whether an end-of-text token closes each example
/// and the longest example kept.
/// </summary>
public sealed partial record TaskTemplate
{
    public required string TaskName { get; init; }
    public required string PromptTemplate { get; init; }
    public required int TotalVirtualTokens { get; init; }
    public required IReadOnlyList<int> VirtualTokenSplits { get; init; }
    public string? TruncateField { get; init; }
    public bool AnswerOnlyLoss { get; init; } = true;
    public required string AnswerField { get; init; }
    public bool AddEos { get; init; } = true;
    public int MaxSeqLength { get; init; } = 1024;

    [GeneratedRegex(@"<\|VIRTUAL_PROMPT_(\d+)\|>")]
    public static partial Regex VirtualMarker();

    [GeneratedRegex(@"\{(\w+)\}")]
    public static partial Regex FieldSlot();

    /// <summary>The {field} names in the order they appear.</summary>
    public IReadOnlyList<string> Fields => FieldSlot().Matches(PromptTemplate).Select(m => m.Groups[1].Value).ToList();

    /// <summary>The reference's template: 10 virtual tokens before the sentence, the label after "sentiment:".</summary>
    public static TaskTemplate FinancialPhraseBank => new()
    {
        TaskName = "sentiment",
        PromptTemplate = "<|VIRTUAL_PROMPT_0|> {sentence} sentiment:{label}",
        TotalVirtualTokens = 10,
        VirtualTokenSplits = [10],
        AnswerField = "label",
    };

    static readonly HashSet<string> Keys =
    [
        "taskname", "prompt_template", "prompt_template_fields", "total_virtual_tokens", "virtual_token_splits",
        "truncate_field", "answer_only_loss", "answer_field", "add_eos", "max_seq_length",
    ];

    public static TaskTemplate Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: task template not found", path);
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON: {e.Message}", e);
        }
        // NeMo configs hold a list of task templates; a file with one task is the common case.
        if (node is JsonArray { Count: 1 } single) node = single[0];
        if (node is not JsonObject json) throw new InvalidDataException($"{path}: a task template must be a JSON object (or a list of one)");
        return FromJson(json, path);
    }

    public static TaskTemplate FromJson(JsonObject json, string origin)
    {
        var unknown = json.Select(kv => kv.Key).Where(k => !Keys.Contains(k)).ToList();
        if (unknown.Count > 0) throw new InvalidDataException($"{origin}: unknown template key(s): {string.Join(", ", unknown)}");
        T Value<T>(string key, T fallback, bool required = false)
        {
            if (!json.TryGetPropertyValue(key, out var value) || value is null)
                return required ? throw new InvalidDataException($"{origin}: missing \"{key}\"") : fallback;
            try
            {
                return value.Deserialize<T>() ?? fallback;
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
            {
                throw new InvalidDataException($"{origin}: \"{key}\" has the wrong type ({value.ToJsonString()}, expected {JsonKind.Of(typeof(T))})", e);
            }
        }
        return new TaskTemplate
        {
            TaskName = Value("taskname", "", required: true),
            PromptTemplate = Value("prompt_template", "", required: true),
            TotalVirtualTokens = Value("total_virtual_tokens", 0, required: true),
            VirtualTokenSplits = Value<int[]>("virtual_token_splits", [], required: true),
            TruncateField = Value<string?>("truncate_field", null),
            AnswerOnlyLoss = Value("answer_only_loss", true),
            AnswerField = Value("answer_field", "", required: true),
            AddEos = Value("add_eos", true),
            MaxSeqLength = Value("max_seq_length", 1024),
        }.Validated(origin);
    }

    public JsonObject ToJson() => new()
    {
        ["taskname"] = TaskName,
        ["prompt_template"] = PromptTemplate,
        ["total_virtual_tokens"] = TotalVirtualTokens,
        ["virtual_token_splits"] = new JsonArray(VirtualTokenSplits.Select(s => (JsonNode)s).ToArray()),
        ["truncate_field"] = TruncateField,
        ["answer_only_loss"] = AnswerOnlyLoss,
        ["answer_field"] = AnswerField,
        ["add_eos"] = AddEos,
        ["max_seq_length"] = MaxSeqLength,
    };

    /// <summary>Throws naming the first problem found; <paramref name="origin"/> says where the template came from.</summary>
    public TaskTemplate Validated(string origin)
    {
        void Require(bool ok, string problem)
        {
            if (!ok) throw new InvalidDataException($"{origin}: {problem}");
        }
        Require(TaskName.Length > 0, "\"taskname\" is empty");
        var markers = VirtualMarker().Matches(PromptTemplate).Select(m => int.Parse(m.Groups[1].Value)).ToList();
        Require(markers.Count > 0, $"the prompt template \"{PromptTemplate}\" has no <|VIRTUAL_PROMPT_0|> marker");
        Require(markers.SequenceEqual(Enumerable.Range(0, markers.Count)),
            $"virtual prompt markers must be <|VIRTUAL_PROMPT_0|>, <|VIRTUAL_PROMPT_1|>, … once each in order (found {string.Join(", ", markers)})");
        Require(VirtualTokenSplits.Count == markers.Count,
            $"{markers.Count} virtual prompt marker(s) but {VirtualTokenSplits.Count} virtual_token_splits");
        Require(VirtualTokenSplits.All(s => s > 0), "every virtual_token_splits entry must be positive");
        Require(VirtualTokenSplits.Sum() == TotalVirtualTokens,
            $"virtual_token_splits [{string.Join(", ", VirtualTokenSplits)}] sum to {VirtualTokenSplits.Sum()}, not total_virtual_tokens {TotalVirtualTokens}");
        var fields = Fields;
        Require(fields.Contains(AnswerField), $"the answer field \"{AnswerField}\" has no {{{AnswerField}}} slot in the template");
        Require(PromptTemplate.TrimEnd().EndsWith("{" + AnswerField + "}", StringComparison.Ordinal),
            $"the answer slot {{{AnswerField}}} must end the template (the loss and generation assume the answer comes last)");
        Require(TruncateField is null || (fields.Contains(TruncateField) && TruncateField != AnswerField),
            $"truncate_field \"{TruncateField}\" is not a non-answer field of the template");
        Require(MaxSeqLength > TotalVirtualTokens, $"max_seq_length {MaxSeqLength} leaves no room after {TotalVirtualTokens} virtual tokens");
        return this;
    }
}
