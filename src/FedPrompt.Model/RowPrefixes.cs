using static TorchSharp.torch;

namespace FedPrompt.Model;

/// <summary>
/// The positions of a right-padded batch that a forward pass computes: the first n of each row.
/// Under causal attention a position depends only on those before it, so the positions after the
/// last one a caller reads — the padding, and in training an example's final token, which predicts
/// nothing — can be left out of every per-token operation: the linear layers, LayerNorms and GELU,
/// which hold nearly all of a frozen model's work (a fifth of it was padding at p-tuning's
/// micro-batch 4). Attention alone needs the rectangular [batch, length] layout, so its inputs are
/// scattered into it (zeros elsewhere, never attended by a computed position) and its output is
/// gathered back.
/// </summary>
public sealed class RowPrefixes : IDisposable
{
    /// <param name="lengths">How many leading positions of each row to compute, each in 0..length.</param>
    /// <param name="length">The batch's padded length.</param>
    public RowPrefixes(IReadOnlyList<int> lengths, int length)
    {
        var flat = new List<long>();
        for (int row = 0; row < lengths.Count; row++)
        {
            if (lengths[row] < 0 || lengths[row] > length)
                throw new ArgumentException($"row {row}: {lengths[row]} positions requested of {length}");
            for (int t = 0; t < lengths[row]; t++) flat.Add((long)row * length + t);
        }
        Rows = lengths.Count;
        Length = length;
        Index = tensor(flat.ToArray());
    }

    public int Rows { get; }
    public int Length { get; }

    /// <summary>[n] flat indices (row·length + t) of the computed positions.</summary>
    public Tensor Index { get; }

    /// <summary>[rows, length, …] → [n, …]: the computed positions, in order.</summary>
    public Tensor Pack(Tensor x)
    {
        if (x.shape[0] != Rows || x.shape[1] != Length)
            throw new ArgumentException($"expected a [{Rows}, {Length}, …] batch, got [{string.Join(", ", x.shape)}]");
        return x.flatten(0, 1).index_select(0, Index.to(x.device));
    }

    /// <summary>[n, …] → [rows, length, …], zeros at the positions not computed.</summary>
    public Tensor Unpack(Tensor packed)
    {
        long[] rest = packed.shape[1..];
        var full = zeros([(long)Rows * Length, .. rest], packed.dtype, packed.device);
        return full.index_copy(0, Index.to(packed.device), packed).view([Rows, Length, .. rest]);
    }

    public void Dispose() => Index.Dispose();
}
