using FedPrompt.Formats.Checkpoints;

namespace FedPrompt.Model.Checkpoints;

/// <summary>
/// The names torch.save pickles use, as far as finding tensors needs them: tensors and parameters
/// become <see cref="TorchTensorRef"/>s over <see cref="TorchStorageRef"/>s, OrderedDicts become dicts,
/// and everything else (optimizer classes, NeMo's _extra_state BytesIO, config objects) stays opaque.
/// </summary>
internal sealed class TorchPickleEnvironment : IPickleEnvironment
{
    public static readonly TorchPickleEnvironment Instance = new();

    public object? Construct(PickleGlobal callable, object?[] arguments)
    {
        try
        {
            return Build(callable, arguments);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{callable}: {e.Message}", e);
        }
    }

    private object? Build(PickleGlobal callable, object?[] arguments) => (callable.Module, callable.Name) switch
    {
        ("collections", "OrderedDict") => new PickleDict(),
        // (storage, storage_offset, size, stride[, requires_grad, backward_hooks[, metadata]])
        ("torch._utils", "_rebuild_tensor" or "_rebuild_tensor_v2") => RebuildTensor(arguments, explicitDType: null),
        // torch >= 2.1, for dtypes without a legacy storage class: (untyped storage, ..., dtype[, metadata])
        ("torch._utils", "_rebuild_tensor_v3") => RebuildTensor(arguments, Argument<PickleGlobal>(arguments, 6, "dtype")),
        // (data, requires_grad, backward_hooks[, state]): a parameter is its data tensor
        ("torch._utils", "_rebuild_parameter" or "_rebuild_parameter_with_state") => Argument<object?>(arguments, 0, "data"),
        // torch >= 2.0, for tensors with Python attributes: (rebuild function, type, its arguments, state)
        ("torch._tensor", "_rebuild_from_type_v2") => arguments is [PickleGlobal rebuild, _, object[] rebuildArguments, ..]
            ? Construct(rebuild, rebuildArguments)
            : new PickleOpaque(callable),
        ("torch", "Size") => Argument<object?[]>(arguments, 0, "sizes"),
        _ => new PickleOpaque(callable),
    };

    /// <summary>torch.save's persistent ids: ('storage', storage class, key, location, element count).</summary>
    public object? LoadPersistent(object? persistentId) => persistentId is object[] and ["storage", PickleGlobal storageClass, string key, ..]
        ? new TorchStorageRef(key, storageClass, StorageDType(storageClass))
        : throw new InvalidDataException(
            $"persistent id {PickleReader.Describe(persistentId)} is not ('storage', storage class, key, location, size) as torch.save writes");

    private static TorchTensorRef RebuildTensor(object?[] arguments, PickleGlobal? explicitDType)
    {
        var storage = Argument<TorchStorageRef>(arguments, 0, "storage");
        var (dtype, dtypeName) = explicitDType is null
            ? (storage.DType, storage.StorageClass.ToString())
            : (DTypeNamed(explicitDType), explicitDType.ToString());
        return new TorchTensorRef(storage, dtype, dtypeName,
            Argument<long>(arguments, 1, "storage offset"), Integers(arguments, 2, "size"), Integers(arguments, 3, "stride"));
    }

    private static StoredDType? StorageDType(PickleGlobal storageClass) => (storageClass.Module, storageClass.Name) switch
    {
        ("torch", "DoubleStorage") => StoredDType.F64,
        ("torch", "FloatStorage") => StoredDType.F32,
        ("torch", "HalfStorage") => StoredDType.F16,
        ("torch", "BFloat16Storage") => StoredDType.BF16,
        ("torch", "LongStorage") => StoredDType.I64,
        ("torch", "IntStorage") => StoredDType.I32,
        ("torch", "ShortStorage") => StoredDType.I16,
        ("torch", "CharStorage") => StoredDType.I8,
        ("torch", "ByteStorage") => StoredDType.U8,
        ("torch", "BoolStorage") => StoredDType.Bool,
        // Plain bytes; a tensor over one names its dtype itself (_rebuild_tensor_v3).
        ("torch" or "torch.storage", "UntypedStorage") => StoredDType.U8,
        _ => null,
    };

    private static StoredDType? DTypeNamed(PickleGlobal dtype) => (dtype.Module, dtype.Name) switch
    {
        ("torch", "float64") => StoredDType.F64,
        ("torch", "float32") => StoredDType.F32,
        ("torch", "float16") => StoredDType.F16,
        ("torch", "bfloat16") => StoredDType.BF16,
        ("torch", "int64") => StoredDType.I64,
        ("torch", "int32") => StoredDType.I32,
        ("torch", "int16") => StoredDType.I16,
        ("torch", "int8") => StoredDType.I8,
        ("torch", "uint8") => StoredDType.U8,
        ("torch", "bool") => StoredDType.Bool,
        _ => null,
    };

    private static T Argument<T>(object?[] arguments, int index, string what) =>
        index < arguments.Length && arguments[index] is T value
            ? value
            : throw new InvalidDataException($"argument {index} ({what}) is missing or has the wrong type");

    private static long[] Integers(object?[] arguments, int index, string what) =>
        Argument<object?[]>(arguments, index, what) is var items && items.All(i => i is long)
            ? items.Cast<long>().ToArray()
            : throw new InvalidDataException($"argument {index} ({what}) holds something other than integers");
}
