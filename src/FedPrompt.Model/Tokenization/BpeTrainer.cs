using System.Text;

namespace FedPrompt.Model.Tokenization;

/// <summary>
/// Learns a byte-level BPE vocabulary from a corpus, for a tokenizer.json in Llama 3's layout.
/// Text is split as Llama 3 splits it (<see cref="PieceCounts"/>), each piece is spelled in GPT-2's
/// byte alphabet, and the most frequent adjacent pair of tokens is merged into a new token, again
/// and again, until the vocabulary is full or no pair is left. Of pairs equally frequent, the one
/// whose left token's byte-level text is ordinally smallest wins, then its right token's: the rule of
/// tools/bpe_reference.py, and one that does not depend on the order of the documents.
/// </summary>
public static class BpeTrainer
{
    public const string BeginningOfText = "<|begin_of_text|>";
    public const string EndOfText = "<|end_of_text|>";

    /// <summary>&lt;|begin_of_text|&gt; and &lt;|end_of_text|&gt;, the ids after the learned vocabulary, as Llama 3 puts its own.</summary>
    public const int SpecialTokens = 2;

    public const int ByteTokens = 256;

    public const int SmallestVocabulary = ByteTokens + SpecialTokens;

    public const int DefaultMinimumCount = 2;

    /// <param name="vocabularySize">Every id the tokenizer has: the 256 bytes, the learned tokens, the two special tokens.</param>
    /// <param name="minimumCount">Pieces seen fewer times are left out before merging: most of a large
    /// corpus's distinct pieces are typos, numbers and names seen once, which would take most of the
    /// memory and hardly change which pairs are the most frequent.</param>
    /// <param name="learned">Told the number of tokens learned so far after each merge.</param>
    public static TrainedBpe Train(PieceCounts corpus, int vocabularySize, int minimumCount = DefaultMinimumCount, IProgress<int>? learned = null)
    {
        if (vocabularySize < SmallestVocabulary)
            throw new ArgumentOutOfRangeException(nameof(vocabularySize), vocabularySize,
                $"a vocabulary of {vocabularySize} tokens is too small: it needs at least {SmallestVocabulary} ({ByteTokens} byte tokens and {SpecialTokens} special tokens)");
        if (minimumCount < 1)
            throw new ArgumentOutOfRangeException(nameof(minimumCount), minimumCount, $"the minimum count of a piece must be 1 or more, not {minimumCount}");

        var byteOrder = Enumerable.Range(0, ByteTokens).Select(b => (byte)b).OrderBy(ByteLevelAlphabet.Of).ToArray();
        // GPT-2's (and Llama 3's) ids for the bytes: ordered by the character that spells them.
        var tokens = byteOrder.Select(b => ByteLevelAlphabet.Of(b).ToString()).ToList();
        var idOfByte = new int[ByteTokens];
        for (int id = 0; id < ByteTokens; id++) idOfByte[byteOrder[id]] = id;
        var idOfToken = tokens.Select((token, id) => (token, id)).ToDictionary(t => t.token, t => t.id, StringComparer.Ordinal);

        // A piece of one byte has no pair to merge.
        var pieces = corpus.AtLeast(minimumCount)
            .Select(p => (Symbols: Encoding.UTF8.GetBytes(p.Piece).Select(b => idOfByte[b]).ToArray(), p.Count))
            .Where(p => p.Symbols.Length > 1)
            .ToList();
        var index = new PairIndex(pieces, tokens);
        var merges = new List<(string Left, string Right)>();
        int learnedTarget = vocabularySize - SpecialTokens;
        while (tokens.Count < learnedTarget && index.TryTakeMostFrequent(out int left, out int right))
        {
            var text = tokens[left] + tokens[right];
            // Two merges can spell one token ("a"+"bc", "ab"+"c"); it keeps its first id, as in Hugging Face's trainer.
            if (!idOfToken.TryGetValue(text, out int merged))
            {
                merged = tokens.Count;
                tokens.Add(text);
                idOfToken.Add(text, merged);
            }
            merges.Add((tokens[left], tokens[right]));
            index.Merge(left, right, merged);
            learned?.Report(tokens.Count - ByteTokens);
        }
        return new TrainedBpe(tokens, merges, vocabularySize);
    }
}
