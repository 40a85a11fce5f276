using static TorchSharp.torch;

namespace FedPrompt.Model.Pretraining;

/// <summary>
/// A token stream cut into non-overlapping windows of length+1 tokens (inputs and their next-token
/// targets), visited in a fresh seeded order each epoch. The order is a pure function of the seed
/// and the window index, so a resumed run sees exactly the batches an uninterrupted one would.
/// </summary>
public sealed class TokenWindows
{
    readonly int[] _tokens;
    readonly int _length;
    readonly long _seed;
    int _cachedEpoch = -1;
    int[] _order = [];

    public TokenWindows(int[] tokens, int length, long seed)
    {
        if (length < 1) throw new ArgumentException($"window length must be positive (got {length})");
        if (tokens.Length < length + 1) throw new ArgumentException($"the corpus has {tokens.Length} tokens, fewer than one window of {length + 1}");
        _tokens = tokens;
        _length = length;
        _seed = seed;
    }

    public int Count => (_tokens.Length - 1) / _length;

    /// <summary>Windows number <paramref name="first"/> … first+count−1 of the endless shuffled sequence, as [count, length+1].</summary>
    public Tensor Batch(long first, int count)
    {
        var data = new long[count * (_length + 1)];
        for (int i = 0; i < count; i++)
        {
            long index = first + i;
            int window = Order((int)(index / Count))[(int)(index % Count)];
            for (int j = 0; j <= _length; j++) data[i * (_length + 1) + j] = _tokens[window * _length + j];
        }
        return tensor(data).reshape(count, _length + 1);
    }

    /// <summary>The first <paramref name="count"/> windows in corpus order (a fixed evaluation set).</summary>
    public Tensor Leading(int count)
    {
        count = Math.Min(count, Count);
        var data = new long[count * (_length + 1)];
        for (int i = 0; i < count; i++)
            for (int j = 0; j <= _length; j++) data[i * (_length + 1) + j] = _tokens[i * _length + j];
        return tensor(data).reshape(count, _length + 1);
    }

    int[] Order(int epoch)
    {
        if (epoch == _cachedEpoch) return _order;
        var order = Enumerable.Range(0, Count).ToArray();
        new Random(unchecked((int)(_seed * 1_000_003 + epoch))).Shuffle(order);
        _cachedEpoch = epoch;
        _order = order;
        return order;
    }
}
