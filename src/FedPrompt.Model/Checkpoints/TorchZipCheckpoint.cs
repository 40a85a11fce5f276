using System.IO.Compression;
using System.Text;
using FedPrompt.Formats.Checkpoints;

namespace FedPrompt.Model.Checkpoints;

/// <summary>
/// A checkpoint written by <c>torch.save</c> in its zip format (PyTorch ≥ 1.6: pytorch_model.bin, NeMo's
/// model_weights.ckpt, Lightning .ckpt), opened for reading. The zip holds one folder with
/// <c>data.pkl</c>, the pickled object, and one entry <c>data/&lt;key&gt;</c> per storage. Opening reads
/// only the pickle; each tensor's bytes are read from its storage entry when it is asked for.
/// </summary>
/// <remarks>
/// The tensors are the string-keyed tensor values of the pickled top-level dict, or of its
/// <c>state_dict</c> dict when it has one (a Lightning checkpoint). Other values are ignored. Reads may
/// come from several threads; they take turns.
/// </remarks>
public sealed class TorchZipCheckpoint : ITensorSource
{
    // What a legacy (pre-1.6) torch.save file starts with: pickle protocol 2, then its magic number
    // 0x1950a86a20f9469cfc6c pickled as a 10-byte LONG1.
    private static readonly byte[] LegacyMagic = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly ZipArchive _archive;

    private TorchZipCheckpoint(Stream stream, string origin, bool leaveOpen, ZipArchive archive)
    {
        _stream = stream;
        _leaveOpen = leaveOpen;
        _archive = archive;
        Origin = origin;
        var pickle = FindPickle(archive, origin);
        var folder = pickle.FullName[..^"data.pkl".Length];
        CheckByteOrder(archive.GetEntry(folder + "byteorder"), origin);
        var root = PickleReader.Load(ReadAll(pickle, origin), $"{origin}: {pickle.FullName}", TorchPickleEnvironment.Instance);
        Tensors = TensorsOf(WeightsDict(root, origin), folder);
    }

    public string Origin { get; }

    /// <summary>In the order of the pickled dict.</summary>
    public IReadOnlyDictionary<string, StoredTensor> Tensors { get; }

    /// <exception cref="InvalidDataException">The file is not a readable torch.save zip; the message starts
    /// with the path and says what is wrong.</exception>
    public static TorchZipCheckpoint Open(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 4096, FileOptions.RandomAccess);
        try
        {
            return Open(file, path, leaveOpen: false);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Reads a checkpoint in place from a seekable stream, e.g. the model_weights.ckpt entry of a
    /// .nemo tar (TarEntry.DataStream of a seekable archive). Position 0 of the stream must be the start
    /// of the zip. <paramref name="origin"/> names it in error messages. If opening fails the stream is
    /// left to the caller.</summary>
    /// <exception cref="InvalidDataException">The stream is not a readable torch.save zip; the message
    /// starts with <paramref name="origin"/>.</exception>
    public static TorchZipCheckpoint Open(Stream stream, string origin, bool leaveOpen = false)
    {
        // ZipArchive copies a non-seekable stream into memory: exactly the second copy this class avoids.
        if (!stream.CanRead || !stream.CanSeek)
            throw new ArgumentException($"{origin}: reading a checkpoint in place needs a readable, seekable stream", nameof(stream));

        CheckSignature(stream, origin);
        ZipArchive archive;
        try
        {
            archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{origin}: truncated or corrupt zip archive ({e.Message})", e);
        }

        try
        {
            return new TorchZipCheckpoint(stream, origin, leaveOpen, archive);
        }
        catch
        {
            archive.Dispose();
            throw;
        }
    }

    private static void CheckSignature(Stream stream, string origin)
    {
        Span<byte> start = stackalloc byte[LegacyMagic.Length];
        stream.Position = 0;
        var length = stream.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
        start = start[..length];
        if (start.StartsWith("PK"u8))
            return;
        if (start.SequenceEqual(LegacyMagic))
            throw new InvalidDataException(
                $"{origin}: legacy torch.save format (PyTorch before 1.6, or _use_new_zipfile_serialization=False), which is not supported; " +
                "re-save it as a zip with PyTorch 1.6 or later: torch.save(torch.load(path), path)");
        throw new InvalidDataException($"{origin}: not a zip archive, so not a torch.save checkpoint (the zip format is torch.save's default since PyTorch 1.6)");
    }

    /// <summary>data.pkl sits in the zip's single top-level folder, whose name varies ("archive", the file's
    /// stem when torch.save was given a path, whatever a tool chose).</summary>
    private static ZipArchiveEntry FindPickle(ZipArchive archive, string origin) =>
        archive.Entries.FirstOrDefault(e => e.FullName.Split('/') is ["data.pkl"] or [_, "data.pkl"])
        ?? throw new InvalidDataException($"{origin}: the zip archive has no data.pkl, so it is not a torch.save checkpoint");

    /// <summary>Written by PyTorch ≥ 2.1; older files are little-endian, as this reader expects.</summary>
    private static void CheckByteOrder(ZipArchiveEntry? byteOrder, string origin)
    {
        if (byteOrder is null)
            return;
        var text = Encoding.ASCII.GetString(ReadAll(byteOrder, origin)).Trim();
        if (text == "big")
            throw new InvalidDataException($"{origin}: saved on a big-endian machine (byteorder 'big'); only little-endian checkpoints are supported: re-save it on a little-endian machine");
        if (text != "little")
            throw new InvalidDataException($"{origin}: unknown byteorder '{text}'");
    }

    private static byte[] ReadAll(ZipArchiveEntry entry, string origin)
    {
        try
        {
            var bytes = new byte[entry.Length];
            using var data = entry.Open();
            data.ReadExactly(bytes);
            return bytes;
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or OverflowException)
        {
            throw new InvalidDataException($"{origin}: cannot read entry '{entry.FullName}': {e.Message}", e);
        }
    }

    private static PickleDict WeightsDict(object? root, string origin) => root switch
    {
        PickleDict lightning when lightning.TryGetValue("state_dict", out var inner) && inner is PickleDict stateDict => stateDict,
        PickleDict stateDict => stateDict,
        TorchTensorRef => throw new InvalidDataException($"{origin}: data.pkl holds a single tensor, not a dict of named tensors"),
        _ => throw new InvalidDataException($"{origin}: data.pkl holds {PickleReader.Describe(root)}, not a dict of tensors"),
    };

    private Dictionary<string, StoredTensor> TensorsOf(PickleDict weights, string folder)
    {
        var tensors = new Dictionary<string, StoredTensor>(StringComparer.Ordinal);
        foreach (var (key, value) in weights.Entries)
        {
            if (key is string name && value is TorchTensorRef tensor)
                tensors[name] = Resolve(name, tensor, folder);
        }
        return tensors;
    }

    private TorchZipTensor Resolve(string name, TorchTensorRef tensor, string folder)
    {
        var where = $"{Origin}: tensor '{name}'";
        if (tensor.DType is not { } dtype)
            throw new InvalidDataException($"{where} has unsupported dtype {tensor.DTypeName}");
        if (tensor.Size.Length != tensor.Stride.Length)
            throw new InvalidDataException($"{where} has {tensor.Size.Length} sizes but {tensor.Stride.Length} strides");
        if (tensor.StorageOffset < 0 || tensor.Size.Any(n => n < 0) || tensor.Stride.Any(n => n < 0))
            throw new InvalidDataException($"{where} has a negative size, stride or storage offset");

        var entryName = $"{folder}data/{tensor.Storage.Key}";
        var storage = _archive.GetEntry(entryName)
            ?? throw new InvalidDataException($"{where} lives in storage entry '{entryName}', which the archive lacks");

        long needed;
        try
        {
            needed = StridedCopy.StorageBytesNeeded(dtype.Size(), tensor.StorageOffset, tensor.Size, tensor.Stride);
        }
        catch (OverflowException)
        {
            needed = long.MaxValue;
        }
        if (needed > storage.Length)
            throw new InvalidDataException(
                $"{where} ({TensorSizes.Describe(dtype, tensor.Size)} at storage offset {tensor.StorageOffset}, stride [{string.Join(", ", tensor.Stride)}]) " +
                $"needs {needed} bytes of storage entry '{entryName}', which holds only {storage.Length}: the storage is too small");

        return new TorchZipTensor(name, dtype, tensor.Size, storage, tensor.StorageOffset, tensor.Stride, Origin);
    }

    public void Dispose()
    {
        _archive.Dispose();
        if (!_leaveOpen)
            _stream.Dispose();
    }
}
