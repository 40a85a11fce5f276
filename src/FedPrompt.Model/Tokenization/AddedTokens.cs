using System.Text.RegularExpressions;

namespace FedPrompt.Model.Tokenization;

/// <summary>One entry of a tokenizer.json's added_tokens; <paramref name="Normalized"/> tokens are
/// looked for in the normalized text, the others in the text as written.</summary>
sealed record AddedToken(int Id, string Content, bool Normalized);

/// <summary>
/// A tokenizer's added tokens (special or not), recognised in text as whole tokens before
/// normalization and pre-tokenization see it, as tokenizers' AddedVocabulary does: at each position
/// the longest token wins, and the text between tokens is tokenized on its own.
/// </summary>
sealed class AddedTokens
{
    readonly Dictionary<string, int> _idByContent = new(StringComparer.Ordinal);
    readonly Dictionary<int, string> _contentById = [];
    readonly Regex? _asWritten;
    readonly Regex? _afterNormalization;

    public AddedTokens(IReadOnlyCollection<AddedToken> tokens)
    {
        foreach (var token in tokens)
        {
            _idByContent[token.Content] = token.Id;
            _contentById[token.Id] = token.Content;
        }
        _asWritten = Alternation(tokens.Where(t => !t.Normalized));
        _afterNormalization = Alternation(tokens.Where(t => t.Normalized));
    }

    public IReadOnlyDictionary<string, int> IdByContent => _idByContent;

    public string? ContentOf(int id) => _contentById.GetValueOrDefault(id);

    /// <summary>The text as added tokens (Id set) and the normalized stretches between them (Id null).</summary>
    public IEnumerable<(int? Id, string Text)> Split(string text, Func<string, string> normalize)
    {
        foreach (var (id, written) in Find(_asWritten, text))
        {
            if (id is not null)
            {
                yield return (id, written);
                continue;
            }
            foreach (var part in Find(_afterNormalization, normalize(written))) yield return part;
        }
    }

    IEnumerable<(int? Id, string Text)> Find(Regex? tokens, string text)
    {
        if (text.Length == 0) yield break;
        int previous = 0;
        if (tokens is not null)
        {
            for (var match = tokens.Match(text); match.Success; match = match.NextMatch())
            {
                if (match.Index > previous) yield return (null, text[previous..match.Index]);
                yield return (_idByContent[match.Value], match.Value);
                previous = match.Index + match.Length;
            }
        }
        if (previous < text.Length) yield return (null, text[previous..]);
    }

    // Longest first: .NET takes the first alternative that matches at the leftmost position.
    static Regex? Alternation(IEnumerable<AddedToken> tokens)
    {
        var contents = tokens.Select(t => t.Content).Distinct(StringComparer.Ordinal)
            .OrderByDescending(c => c.Length).ThenBy(c => c, StringComparer.Ordinal).Select(Regex.Escape).ToList();
        return contents.Count == 0 ? null : new Regex(string.Join('|', contents), RegexOptions.CultureInvariant);
    }
}
