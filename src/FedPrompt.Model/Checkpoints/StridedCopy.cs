namespace FedPrompt.Model.Checkpoints;

/// <summary>
/// Copies a strided view of a storage (a transposed matrix, a slice, a broadcast) into contiguous
/// row-major order. The view's dimensions are walked from the largest storage stride to the smallest, so
/// the storage is read in increasing offsets (once, unless the view overlaps itself) through a bounded
/// window rather than a whole copy; a contiguous view is a single read straight into the destination.
/// </summary>
internal static class StridedCopy
{
    public const int DefaultWindowBytes = 1 << 20;

    /// <summary>Size, storage stride and destination stride of one dimension, in elements.</summary>
    private readonly record struct Dim(long Size, long Source, long Target);

    /// <summary>The number of storage bytes the view reaches into, counting from the storage's start.</summary>
    /// <exception cref="OverflowException"/>
    public static long StorageBytesNeeded(int elementSize, long storageOffset, long[] shape, long[] stride)
    {
        if (shape.Contains(0))
            return 0;
        var lastElement = shape.Zip(stride).Aggregate(storageOffset, (sum, d) => checked(sum + (d.First - 1) * d.Second));
        return checked((lastElement + 1) * elementSize);
    }

    public static void Gather(
        ZipEntryReader storage, int elementSize, long storageOffset, long[] shape, long[] stride, Span<byte> destination,
        int windowBytes = DefaultWindowBytes)
    {
        if (destination.IsEmpty)
            return;
        var dims = WalkOrder(shape, stride);
        var run = 1L;
        if (dims is [.., { Source: 1, Target: 1 } innermost])
        {
            run = innermost.Size;
            dims.RemoveAt(dims.Count - 1);
        }
        var runBytes = checked((int)(run * elementSize));
        var endByte = StorageBytesNeeded(elementSize, storageOffset, shape, stride);
        var bufferBytes = (int)Math.Min(windowBytes, endByte - storageOffset * elementSize);
        var window = new Window(storage, endByte, runBytes >= bufferBytes ? 0 : bufferBytes);

        var index = new long[dims.Count];
        long source = storageOffset, target = 0;
        while (true)
        {
            window.Copy(source * elementSize, destination.Slice(checked((int)(target * elementSize)), runBytes));
            var d = dims.Count - 1;
            for (; d >= 0; d--)
            {
                source += dims[d].Source;
                target += dims[d].Target;
                if (++index[d] < dims[d].Size)
                    break;
                source -= dims[d].Source * dims[d].Size;
                target -= dims[d].Target * dims[d].Size;
                index[d] = 0;
            }
            if (d < 0)
                return;
        }
    }

    /// <summary>The dimensions outermost first by storage stride, with size-1 dimensions dropped (they never
    /// move) and neighbours merged where they are contiguous in both storage and destination.</summary>
    private static List<Dim> WalkOrder(long[] shape, long[] stride)
    {
        var dims = new List<Dim>();
        var target = 1L;
        for (var d = shape.Length - 1; d >= 0; d--)
        {
            if (shape[d] != 1)
                dims.Add(new Dim(shape[d], stride[d], target));
            target *= shape[d];
        }

        var merged = new List<Dim>();
        foreach (var inner in dims.OrderByDescending(d => d.Source))
        {
            if (merged is [.., var outer] && outer.Source == inner.Source * inner.Size && outer.Target == inner.Target * inner.Size)
                merged[^1] = inner with { Size = outer.Size * inner.Size };
            else
                merged.Add(inner);
        }
        return merged;
    }

    /// <summary>A buffered span of the storage, refilled forward as the walk moves on. With no buffer
    /// (runs at least as long as the window would be) runs are read straight into the destination.</summary>
    private sealed class Window(ZipEntryReader storage, long endByte, int bufferBytes)
    {
        private readonly byte[] _buffer = new byte[bufferBytes];
        private long _start;
        private int _filled;

        public void Copy(long byteOffset, Span<byte> destination)
        {
            if (_buffer.Length == 0)
            {
                storage.ReadAt(byteOffset, destination);
                return;
            }
            if (byteOffset < _start || byteOffset + destination.Length > _start + _filled)
            {
                _start = byteOffset;
                _filled = (int)Math.Min(_buffer.Length, endByte - byteOffset);
                storage.ReadAt(_start, _buffer.AsSpan(0, _filled));
            }
            _buffer.AsSpan((int)(byteOffset - _start), destination.Length).CopyTo(destination);
        }
    }
}
