using System.Text;

namespace FedPrompt.Model.Tokenization;

/// <summary>
/// Unicode NFC, the normalizer of Qwen2.5/3's tokenizer.json. The engine runs with invariant
/// globalization, where string.Normalize returns its input unchanged without a word; text none of
/// whose characters NFC can touch is already NFC, so it passes through, and other text is refused
/// rather than tokenized differently from Hugging Face.
/// </summary>
sealed class NfcNormalizer(string origin)
{
    static readonly bool RuntimeNormalizes = "e\u0301".Normalize(NormalizationForm.FormC) == "\u00E9";

    // Below the combining diacritics block every character is its own NFC form.
    const int FirstSensitive = 0x300;

    public string Apply(string text)
    {
        if (RuntimeNormalizes) return text.Normalize(NormalizationForm.FormC);
        foreach (var rune in text.EnumerateRunes())
        {
            if (rune.Value >= FirstSensitive && IsSensitive(rune.Value))
                throw new NotSupportedException(
                    $"{origin}: the text has U+{rune.Value:X4}, which Unicode NFC (this tokenizer's normalizer) may change, " +
                    "and this build has no Unicode normalization (invariant globalization)");
        }
        return text;
    }

    static bool IsSensitive(int codePoint)
    {
        var ranges = NfcSensitiveCodePoints.Ranges;
        int low = 0, high = ranges.Length / 2 - 1;
        while (low <= high)
        {
            int middle = (low + high) / 2;
            if (codePoint < ranges[2 * middle]) high = middle - 1;
            else if (codePoint > ranges[2 * middle + 1]) low = middle + 1;
            else return true;
        }
        return false;
    }
}
