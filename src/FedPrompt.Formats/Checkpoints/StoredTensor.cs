namespace FedPrompt.Formats.Checkpoints;

/// <summary>Element types a checkpoint may hold on disk, named as safetensors names them.</summary>
public enum StoredDType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, Bool }

public static class StoredDTypes
{
    public static int Size(this StoredDType dtype) => dtype switch
    {
        StoredDType.F64 or StoredDType.I64 => 8,
        StoredDType.F32 or StoredDType.I32 => 4,
        StoredDType.F16 or StoredDType.BF16 or StoredDType.I16 => 2,
        _ => 1,
    };

    public static string SafeTensorsName(this StoredDType dtype) => dtype switch
    {
        StoredDType.Bool => "BOOL",
        _ => dtype.ToString(),
    };

    public static StoredDType FromSafeTensorsName(string name, string file) => name switch
    {
        "F64" => StoredDType.F64,
        "F32" => StoredDType.F32,
        "F16" => StoredDType.F16,
        "BF16" => StoredDType.BF16,
        "I64" => StoredDType.I64,
        "I32" => StoredDType.I32,
        "I16" => StoredDType.I16,
        "I8" => StoredDType.I8,
        "U8" => StoredDType.U8,
        "BOOL" => StoredDType.Bool,
        _ => throw new InvalidDataException($"{file}: unsupported dtype '{name}'"),
    };
}

/// <summary>
/// A tensor inside a checkpoint file, not yet read. Loaders read tensors one at a time straight into
/// the model's parameters, so loading never holds a second full copy of the weights.
/// </summary>
public abstract class StoredTensor
{
    protected StoredTensor(string name, StoredDType dtype, long[] shape)
    {
        Name = name;
        DType = dtype;
        Shape = shape;
    }

    public string Name { get; }
    public StoredDType DType { get; }
    public long[] Shape { get; }
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
    public long ByteCount => ElementCount * DType.Size();

    /// <summary>Fills <paramref name="destination"/> (exactly <see cref="ByteCount"/> bytes) with the
    /// tensor's elements, contiguous, row-major, little-endian.</summary>
    public abstract void ReadInto(Span<byte> destination);

    public string Describe() => $"{Name} {DType}[{string.Join(", ", Shape)}]";
}

/// <summary>An opened checkpoint: the tensors of one or more files, by name.</summary>
public interface ITensorSource : IDisposable
{
    /// <summary>What was opened, for error messages.</summary>
    string Origin { get; }
    IReadOnlyDictionary<string, StoredTensor> Tensors { get; }
}
