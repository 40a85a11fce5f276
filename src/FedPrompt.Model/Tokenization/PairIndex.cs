using System.Runtime.InteropServices;

namespace FedPrompt.Model.Tokenization;

/// <summary>
/// BPE training's running state: every distinct piece as token ids with its count, how often each
/// adjacent pair of tokens occurs (each occurrence weighted by its piece's count), and which pieces
/// hold each pair. A merge updates these around the places it merges, so it costs the pieces it
/// touches, not a recount of the corpus.
/// </summary>
sealed class PairIndex
{
    const long NoPair = -1;

    readonly int[][] _symbols;
    readonly int[] _lengths;
    readonly long[] _counts;
    readonly Dictionary<long, long> _pairCounts = [];
    // A piece can stay listed under a pair it no longer holds, or be listed twice: merging the pair
    // in it then finds nothing to merge, which is cheaper than keeping the lists exact.
    readonly Dictionary<long, List<int>> _piecesWithPair = [];
    readonly PriorityQueue<long, (long Count, long Pair)> _queue;
    readonly HashSet<long> _grown = [];
    long _merging = NoPair;

    /// <param name="tokens">Token id → byte-level text; the trainer appends to it as it learns, and ties are broken by it.</param>
    public PairIndex(IReadOnlyList<(int[] Symbols, long Count)> pieces, IReadOnlyList<string> tokens)
    {
        _symbols = pieces.Select(p => p.Symbols).ToArray();
        _lengths = pieces.Select(p => p.Symbols.Length).ToArray();
        _counts = pieces.Select(p => p.Count).ToArray();
        _queue = new PriorityQueue<long, (long, long)>(new MostFrequentFirst(tokens));
        for (int piece = 0; piece < _symbols.Length; piece++)
            for (int i = 0; i + 1 < _lengths[piece]; i++)
                Change(Key(_symbols[piece][i], _symbols[piece][i + 1]), _counts[piece], piece);
        _queue.EnqueueRange(_pairCounts.Select(entry => (entry.Key, (entry.Value, entry.Key))));
        _grown.Clear();
    }

    /// <summary>
    /// The most frequent pair now. The queue holds a pair at the count it had when queued: a pair
    /// that has become rarer since comes out early and goes back at its count now, and a pair that
    /// grew was queued again at its new count, so the first entry whose count is current is the best.
    /// </summary>
    public bool TryTakeMostFrequent(out int left, out int right)
    {
        while (_queue.TryDequeue(out long pair, out var queued))
        {
            if (!_pairCounts.TryGetValue(pair, out long count)) continue;
            if (count != queued.Count)
            {
                _queue.Enqueue(pair, (count, pair));
                continue;
            }
            (left, right) = (Left(pair), Right(pair));
            return true;
        }
        (left, right) = (0, 0);
        return false;
    }

    /// <summary>Every occurrence of the pair, in every piece that holds it, becomes <paramref name="merged"/>.</summary>
    public void Merge(int left, int right, int merged)
    {
        _merging = Key(left, right);
        _pairCounts.Remove(_merging);
        if (_piecesWithPair.Remove(_merging, out var pieces))
            foreach (int piece in pieces) MergeIn(piece, left, right, merged);
        foreach (long pair in _grown)
            if (_pairCounts.TryGetValue(pair, out long count)) _queue.Enqueue(pair, (count, pair));
        _grown.Clear();
        _merging = NoPair;
    }

    /// <summary>Left to right, as encoding applies a merge: in "a a a" the pair (a, a) merges once, at
    /// the start. Each merge replaces the pairs it had with its neighbours by pairs with the merged
    /// token; the neighbour on the left may itself be a token merged a moment ago.</summary>
    void MergeIn(int piece, int left, int right, int merged)
    {
        var symbols = _symbols[piece];
        int length = _lengths[piece];
        long count = _counts[piece];
        int written = 0;
        for (int read = 0; read < length;)
        {
            if (read + 1 < length && symbols[read] == left && symbols[read + 1] == right)
            {
                if (written > 0)
                {
                    Change(Key(symbols[written - 1], left), -count, piece);
                    Change(Key(symbols[written - 1], merged), count, piece);
                }
                if (read + 2 < length)
                {
                    Change(Key(right, symbols[read + 2]), -count, piece);
                    Change(Key(merged, symbols[read + 2]), count, piece);
                }
                symbols[written++] = merged;
                read += 2;
            }
            else symbols[written++] = symbols[read++];
        }
        _lengths[piece] = written;
    }

    void Change(long pair, long delta, int piece)
    {
        // The pair being merged is gone as a whole; "a a a" would otherwise take it below zero.
        if (pair == _merging) return;
        ref long count = ref CollectionsMarshal.GetValueRefOrAddDefault(_pairCounts, pair, out _);
        count += delta;
        if (count <= 0)
        {
            _pairCounts.Remove(pair);
            _piecesWithPair.Remove(pair);
            return;
        }
        if (delta < 0) return;
        ref var pieces = ref CollectionsMarshal.GetValueRefOrAddDefault(_piecesWithPair, pair, out _);
        pieces ??= [];
        if (pieces.Count == 0 || pieces[^1] != piece) pieces.Add(piece);
        _grown.Add(pair);
    }

    static long Key(int left, int right) => (long)left << 32 | (uint)right;

    static int Left(long pair) => (int)(pair >> 32);

    static int Right(long pair) => (int)pair;

    /// <summary>Higher count first; of equal counts, the pair whose left token's byte-level text is
    /// ordinally smallest, then its right token's (as tools/bpe_reference.py breaks ties). Tokens
    /// are distinct texts, so no two pairs tie, and the merges do not depend on the corpus's order.</summary>
    sealed class MostFrequentFirst(IReadOnlyList<string> tokens) : IComparer<(long Count, long Pair)>
    {
        public int Compare((long Count, long Pair) x, (long Count, long Pair) y)
        {
            if (x.Count != y.Count) return y.Count.CompareTo(x.Count);
            int byLeft = string.CompareOrdinal(tokens[Left(x.Pair)], tokens[Left(y.Pair)]);
            return byLeft != 0 ? byLeft : string.CompareOrdinal(tokens[Right(x.Pair)], tokens[Right(y.Pair)]);
        }
    }
}
