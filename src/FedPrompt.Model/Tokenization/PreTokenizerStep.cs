using System.Text.RegularExpressions;

namespace FedPrompt.Model.Tokenization;

/// <summary>
/// One stage of a tokenizer.json pre_tokenizer. Each stage applies to every piece the stage before
/// it left, as Hugging Face tokenizers runs a Sequence, so BPE merges never cross a piece boundary.
/// </summary>
abstract partial class PreTokenizerStep
{
    public abstract IEnumerable<string> Split(string piece);

    /// <summary>ByteLevel's own pattern (GPT-2's), applied when its use_regex is true.</summary>
    [GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+", RegexOptions.CultureInvariant)]
    public static partial Regex ByteLevelPattern();

    /// <summary>Llama 3's Split pattern, verbatim from its tokenizer.json: letters with at most one
    /// leading non-letter, numbers in groups of up to three digits, punctuation runs, newlines.</summary>
    public const string Llama3Split =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    [GeneratedRegex(Llama3Split, RegexOptions.CultureInvariant)]
    public static partial Regex Llama3Pattern();

    /// <summary>Digits with individual_digits: every numeric character alone (Rust's char::is_numeric is \p{N}).</summary>
    [GeneratedRegex(@"\p{N}", RegexOptions.CultureInvariant)]
    public static partial Regex SingleDigit();

    /// <summary>Digits without individual_digits: a run of numeric characters together.</summary>
    [GeneratedRegex(@"\p{N}+", RegexOptions.CultureInvariant)]
    public static partial Regex DigitRun();
}

/// <summary>Split with behaviour Isolated: every match, and every stretch between matches, becomes a piece.</summary>
sealed class IsolatedSplit(Regex pattern) : PreTokenizerStep
{
    public override IEnumerable<string> Split(string piece)
    {
        int previous = 0;
        for (var match = pattern.Match(piece); match.Success; match = match.NextMatch())
        {
            if (match.Index > previous) yield return piece[previous..match.Index];
            // An empty match still ends the stretch before it, as in tokenizers' find_matches.
            if (match.Length > 0) yield return match.Value;
            previous = match.Index + match.Length;
        }
        if (previous < piece.Length) yield return piece[previous..];
    }
}

/// <summary>ByteLevel's add_prefix_space: a piece not starting with a space gets one, so a word at the
/// start of a piece is spelled as it is mid-sentence.</summary>
sealed class PrefixSpace : PreTokenizerStep
{
    public override IEnumerable<string> Split(string piece)
    {
        yield return piece.StartsWith(' ') ? piece : " " + piece;
    }
}
