namespace FedPrompt.Formats.Checkpoints;

/// <summary>One tensor for <see cref="SafeTensorsWriter"/>: name, dtype, shape, and a callback that writes
/// its <see cref="ByteCount"/> bytes (contiguous, row-major, little-endian) when its turn comes, so the
/// writer never needs all tensors' bytes at once.</summary>
public sealed class SafeTensorsEntry
{
    public SafeTensorsEntry(string name, StoredDType dtype, long[] shape, Action<Stream> writeData)
    {
        if (shape.Any(dim => dim < 0))
            throw new ArgumentException($"tensor '{name}': shape [{string.Join(", ", shape)}] has a negative dimension", nameof(shape));
        try
        {
            ByteCount = TensorSizes.ByteCount(dtype, shape);
        }
        catch (OverflowException)
        {
            throw new ArgumentException($"tensor '{name}': shape [{string.Join(", ", shape)}] is too large", nameof(shape));
        }
        Name = name;
        DType = dtype;
        Shape = shape;
        WriteData = writeData;
    }

    public string Name { get; }
    public StoredDType DType { get; }
    public long[] Shape { get; }
    public long ByteCount { get; }

    /// <summary>Writes exactly <see cref="ByteCount"/> bytes to the stream it is given.</summary>
    public Action<Stream> WriteData { get; }

    public static SafeTensorsEntry FromBytes(string name, StoredDType dtype, long[] shape, ReadOnlyMemory<byte> data)
    {
        var entry = new SafeTensorsEntry(name, dtype, shape, stream => stream.Write(data.Span));
        if (data.Length != entry.ByteCount)
            throw new ArgumentException(
                $"tensor '{name}': {TensorSizes.Describe(dtype, shape)} needs {entry.ByteCount} bytes, not {data.Length}", nameof(data));
        return entry;
    }

    /// <summary>Copies a tensor of another checkpoint, holding only that one tensor's bytes at a time.</summary>
    public static SafeTensorsEntry FromStored(StoredTensor tensor) =>
        new(tensor.Name, tensor.DType, tensor.Shape, stream =>
        {
            var bytes = new byte[tensor.ByteCount];
            tensor.ReadInto(bytes);
            stream.Write(bytes);
        });
}
