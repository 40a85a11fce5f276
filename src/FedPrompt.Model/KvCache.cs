using static TorchSharp.torch;

namespace FedPrompt.Model;

/// <summary>
/// Per-layer attention keys and values of the positions already seen, each [batch, heads, length, head size].
/// Generation grows it one step at a time; deep prompt tuning starts it from trainable prefixes that
/// every query attends to. A prefix does not occupy positions: the first real token still gets
/// position 0 unless the caller says otherwise.
/// </summary>
public sealed class KvCache : IDisposable
{
    readonly Tensor?[] _keys;
    readonly Tensor?[] _values;
    // Prefixes belong to the caller (they may be parameters); only tensors the cache made are disposed.
    readonly bool[] _owned;

    public KvCache(int layers)
    {
        _keys = new Tensor?[layers];
        _values = new Tensor?[layers];
        _owned = new bool[layers];
    }

    /// <summary>A cache whose every layer starts with the given keys and values (gradients flow into them).</summary>
    public static KvCache FromPrefix(IReadOnlyList<(Tensor Key, Tensor Value)> perLayer)
    {
        var cache = new KvCache(perLayer.Count);
        for (int i = 0; i < perLayer.Count; i++)
        {
            var (key, value) = perLayer[i];
            if (key.dim() != 4 || !key.shape.SequenceEqual(value.shape))
                throw new ArgumentException($"layer {i}: prefix keys [{string.Join(", ", key.shape)}] and values [{string.Join(", ", value.shape)}] must both be [batch, heads, length, head size]");
            if (key.shape[2] != perLayer[0].Key.shape[2])
                throw new ArgumentException($"layer {i}: prefix length {key.shape[2]} differs from layer 0's {perLayer[0].Key.shape[2]}");
            cache._keys[i] = key;
            cache._values[i] = value;
        }
        return cache;
    }

    public int Layers => _keys.Length;

    /// <summary>A layer's keys and values so far, each [batch, heads, length, head size].</summary>
    public (Tensor Key, Tensor Value) this[int layer] =>
        (_keys[layer] ?? throw new InvalidOperationException("the cache is empty"), _values[layer]!);

    /// <summary>Key positions held (prefix included).</summary>
    public int Length => (int)(_keys[0]?.shape[2] ?? 0);

    /// <summary>Position id the next token takes.</summary>
    public int NextPosition { get; private set; }

    internal (Tensor Key, Tensor Value) Append(int layer, Tensor key, Tensor value)
    {
        var oldKey = _keys[layer];
        var oldValue = _values[layer];
        var newKey = oldKey is null ? key.contiguous() : cat([oldKey, key], 2);
        var newValue = oldValue is null ? value.contiguous() : cat([oldValue, value], 2);
        // The model's forward disposes its temporaries when it returns; the cache must outlive it.
        newKey.DetachFromDisposeScope();
        newValue.DetachFromDisposeScope();
        if (_owned[layer])
        {
            oldKey?.Dispose();
            oldValue?.Dispose();
        }
        _keys[layer] = newKey;
        _values[layer] = newValue;
        _owned[layer] = true;
        return (newKey, newValue);
    }

    internal void Advance(int positions) => NextPosition += positions;

    public void Dispose()
    {
        for (int i = 0; i < _keys.Length; i++)
        {
            if (!_owned[i]) continue;
            _keys[i]?.Dispose();
            _values[i]?.Dispose();
            _keys[i] = _values[i] = null;
        }
    }
}
