using System.Runtime.InteropServices;
using System.Text;

namespace FedPrompt.Model.Tokenization;

/// <summary>
/// A corpus reduced to what BPE training needs: how often each pre-tokenized piece occurs. Merges
/// never cross a piece boundary, so a piece that occurs a million times is one entry counted a
/// million times, and training costs the distinct pieces rather than the text.
/// </summary>
public sealed class PieceCounts
{
    readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);

    PieceCounts() { }

    /// <summary>Documents read; an empty one counts too.</summary>
    public long Documents { get; private set; }

    /// <summary>The documents' size in UTF-8, the bytes the tokens will spell.</summary>
    public long Bytes { get; private set; }

    public int Distinct => _counts.Count;

    /// <summary>Each document split by Llama 3's regex, as the tokenizer.json the trainer writes
    /// splits text (its ByteLevel stage adds no split of its own).</summary>
    public static PieceCounts Count(IEnumerable<string> documents)
    {
        var split = new IsolatedSplit(PreTokenizerStep.Llama3Pattern());
        var result = new PieceCounts();
        foreach (var document in documents)
        {
            result.Documents++;
            result.Bytes += Encoding.UTF8.GetByteCount(document);
            foreach (var piece in split.Split(document))
                CollectionsMarshal.GetValueRefOrAddDefault(result._counts, piece, out _)++;
        }
        return result;
    }

    /// <summary>How many distinct pieces occur at least <paramref name="minimumCount"/> times.</summary>
    public int DistinctAtLeast(int minimumCount) => _counts.Values.Count(count => count >= minimumCount);

    internal IEnumerable<(string Piece, long Count)> AtLeast(int minimumCount) =>
        _counts.Where(entry => entry.Value >= minimumCount).Select(entry => (entry.Key, entry.Value));
}
