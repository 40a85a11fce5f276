using FedPrompt.Formats.Settings;
using FedPrompt.Model;
using FedPrompt.Tuning.Data;

namespace FedPrompt.Tuning.Templates;

/// <summary>How many examples a dataset lost or shortened to fit the sequence limit.</summary>
public sealed record FormattingReport(int Kept, int Truncated, int Dropped);

/// <summary>
/// Turns records into token sequences the way NeMo's GPTPromptLearningDataset does: fill the {field}
/// slots (missing ones — the answer at inference — become empty), strip surrounding spaces, put
/// the virtual tokens where the markers were, tokenize, append end-of-text; an over-long example is
/// shortened in its truncate_field when the template names one, else dropped. The answer starts
/// where its own tokens (with the template's leading space) and the end-of-text begin.
/// </summary>
public sealed class PromptFormatter
{
    readonly TaskTemplate _template;
    readonly TextTokenizer _tokenizer;
    readonly bool _virtualTokensAtInput;
    readonly int _maxLength;

    /// <param name="virtualTokensAtInput">False for deep prompts, whose virtual tokens live in every
    /// layer's attention rather than in the input sequence.</param>
    /// <param name="modelPositions">The model's position table; caps max_seq_length.</param>
    public PromptFormatter(TaskTemplate template, TextTokenizer tokenizer, bool virtualTokensAtInput, int modelPositions)
    {
        _template = template;
        _tokenizer = tokenizer;
        _virtualTokensAtInput = virtualTokensAtInput;
        _maxLength = Math.Min(template.MaxSeqLength, modelPositions);
    }

    /// <summary>The longest example kept, in tokens: max_seq_length, or the model's positions if fewer.</summary>
    public int MaxLength => _maxLength;

    /// <summary>Training/validation examples: every field present, answer included. Records that
    /// lack a template field, have an empty one, or an answer outside <paramref name="answers"/>
    /// are refused with the file and line.</summary>
    public (List<TokenizedExample> Examples, FormattingReport Report) FormatForTraining(
        IReadOnlyList<JsonlRecord> records, string file, IReadOnlyCollection<string>? answers = null)
    {
        // An example must fit with any answer, not only its own, so that every answer can be scored.
        int longestAnswer = answers is null ? 0 : answers.Max(a => AnswerTokens(a).Length);
        var examples = new List<TokenizedExample>();
        int truncated = 0, dropped = 0;
        foreach (var record in records)
        {
            var origin = $"{file}:{record.LineNumber}";
            foreach (var field in _template.Fields)
            {
                if (!record.TryGetValue(field, out var value))
                    throw new DataFormatException(file, record.LineNumber, $"no \"{field}\" field (the template \"{_template.PromptTemplate}\" needs it)");
                if (string.IsNullOrWhiteSpace(value))
                    throw new DataFormatException(file, record.LineNumber, $"the \"{field}\" field is empty");
            }
            var answer = record[_template.AnswerField];
            if (answers is not null && !answers.Contains(answer))
                throw new DataFormatException(file, record.LineNumber,
                    $"label \"{answer}\" is not one of the task's answers ({string.Join(", ", answers.Select(a => $"\"{a}\""))})");
            var example = Format(record, includeAnswer: true, origin, Math.Max(0, longestAnswer - AnswerTokens(answer).Length), out bool wasTruncated);
            if (example is null) dropped++;
            else
            {
                if (wasTruncated) truncated++;
                examples.Add(example);
            }
        }
        return (examples, new FormattingReport(examples.Count, truncated, dropped));
    }

    /// <summary>The prompt for inference: the template up to the answer slot, which is left empty.</summary>
    public TokenizedExample FormatPrompt(IReadOnlyDictionary<string, string> fields, string origin)
    {
        foreach (var field in _template.Fields.Where(f => f != _template.AnswerField))
            if (!fields.ContainsKey(field))
                throw new ArgumentException($"{origin}: no \"{field}\" field (the template \"{_template.PromptTemplate}\" needs it)");
        var record = new JsonlRecord(fields.Where(kv => kv.Key != _template.AnswerField));
        return Format(record, includeAnswer: false, origin, reserve: 0, out _)
            ?? throw new ArgumentException($"{origin}: the prompt does not fit in {_maxLength} tokens");
    }

    /// <summary>The answer's tokens as the model should produce them (with the template's leading
    /// space rule), followed by end-of-text when the template adds it.</summary>
    public int[] AnswerTokens(string answer)
    {
        var tokens = _tokenizer.Encode(WithLeadingSpace(answer)).ToList();
        if (_template.AddEos) tokens.Add(_tokenizer.EndOfTextId);
        return tokens.ToArray();
    }

    /// <summary>The prompt followed by a candidate answer, for scoring that answer.</summary>
    public TokenizedExample WithAnswer(TokenizedExample prompt, string answer)
    {
        var answerTokens = AnswerTokens(answer);
        return new TokenizedExample([.. prompt.Tokens, .. answerTokens], prompt.Tokens.Length, answer, prompt.Origin);
    }

    /// <param name="reserve">Positions to keep free beyond the example itself.</param>
    TokenizedExample? Format(JsonlRecord record, bool includeAnswer, string origin, int reserve, out bool truncated)
    {
        truncated = false;
        int limit = _maxLength - reserve;
        var tokens = Tokenize(record, includeAnswer, truncateTo: null);
        if (tokens.Count > limit && _template.TruncateField is { } field && record.TryGetValue(field, out var text))
        {
            // As NeMo: drop the excess tokens from the end of the truncate field, then render again.
            var fieldTokens = _tokenizer.Encode(text);
            int keep = fieldTokens.Count - (tokens.Count - limit);
            if (keep > 0)
            {
                tokens = Tokenize(record, includeAnswer, truncateTo: (field, _tokenizer.Decode(fieldTokens.Take(keep))));
                truncated = true;
            }
        }
        if (tokens.Count > limit) return null;
        int answerStart = tokens.Count;
        string? answer = null;
        if (includeAnswer)
        {
            answer = record[_template.AnswerField];
            answerStart = tokens.Count - AnswerTokens(answer).Length;
        }
        return new TokenizedExample(tokens.ToArray(), answerStart, answer, origin);
    }

    List<int> Tokenize(JsonlRecord record, bool includeAnswer, (string Field, string Text)? truncateTo)
    {
        var text = _template.PromptTemplate;
        foreach (var field in _template.Fields)
        {
            string value = field == truncateTo?.Field ? truncateTo.Value.Text
                : (includeAnswer || field != _template.AnswerField) && record.TryGetValue(field, out var v) ? v
                : "";
            text = text.Replace("{" + field + "}", value);
        }
        text = text.Trim(' ');

        // NeMo's pseudo tokens are special tokens to its Hugging Face tokenizer, which strips the
        // whitespace on both sides of a special token: "<v> The" tokenizes as <v> "The".
        // The beginning-of-text token leads the whole sequence, virtual tokens included, where the
        // model's tokenizer puts one before any text (as Hugging Face's does for Llama).
        var tokens = new List<int>();
        if (_tokenizer.AddsBeginningOfText && _tokenizer.BeginningOfTextId is int bos) tokens.Add(bos);
        int at = 0;
        foreach (System.Text.RegularExpressions.Match marker in TaskTemplate.VirtualMarker().Matches(text))
        {
            var before = text[at..marker.Index];
            tokens.AddRange(_tokenizer.Encode(at == 0 ? before.TrimEnd() : before.Trim()));
            if (_virtualTokensAtInput)
                tokens.AddRange(Enumerable.Repeat(TokenizedExample.Virtual, _template.VirtualTokenSplits[int.Parse(marker.Groups[1].Value)]));
            at = marker.Index + marker.Length;
        }
        tokens.AddRange(_tokenizer.Encode(at == 0 ? text : text[at..].TrimStart()));
        if (includeAnswer && _template.AddEos) tokens.Add(_tokenizer.EndOfTextId);
        return tokens;
    }

    string WithLeadingSpace(string answer)
    {
        int slot = _template.PromptTemplate.IndexOf("{" + _template.AnswerField + "}", StringComparison.Ordinal);
        return slot > 0 && _template.PromptTemplate[slot - 1] == ' ' ? " " + answer : answer;
    }
}
