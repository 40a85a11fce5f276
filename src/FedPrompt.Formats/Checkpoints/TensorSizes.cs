namespace FedPrompt.Formats.Checkpoints;

/// <summary>Byte counts of shapes that come from files or callers, so overflow must be an error rather
/// than a wrapped-around size.</summary>
internal static class TensorSizes
{
    /// <exception cref="OverflowException">The count does not fit in a long.</exception>
    public static long ByteCount(StoredDType dtype, IEnumerable<long> shape) =>
        shape.Aggregate((long)dtype.Size(), (count, dim) => checked(count * dim));

    public static string Describe(StoredDType dtype, IEnumerable<long> shape) => $"{dtype}[{string.Join(", ", shape)}]";
}
