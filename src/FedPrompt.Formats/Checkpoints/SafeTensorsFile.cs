namespace FedPrompt.Formats.Checkpoints;

/// <summary>
/// A safetensors file opened for reading. Only the header is read up front; each tensor's bytes are read
/// from the file when it is asked for. Reads may come from several threads; they take turns.
/// </summary>
public sealed class SafeTensorsFile : ITensorSource
{
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly long _dataStart;
    private readonly Lock _gate = new();

    private SafeTensorsFile(Stream stream, string origin, bool leaveOpen)
    {
        _stream = stream;
        _leaveOpen = leaveOpen;
        Origin = origin;
        var header = SafeTensorsHeader.Read(stream, origin);
        _dataStart = header.DataStart;
        Metadata = header.Metadata;
        Tensors = header.Tensors.ToDictionary(t => t.Name, StoredTensor (t) => new SafeTensorsTensor(this, t));
    }

    public string Origin { get; }

    /// <summary>In the order of their data in the file.</summary>
    public IReadOnlyDictionary<string, StoredTensor> Tensors { get; }

    /// <summary>The header's <c>__metadata__</c> (empty when it has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <exception cref="InvalidDataException">The header is malformed; the message starts with the path.</exception>
    public static SafeTensorsFile Open(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 4096, FileOptions.RandomAccess);
        try
        {
            return new SafeTensorsFile(file, path, leaveOpen: false);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Reads safetensors bytes from a seekable stream, e.g. a received model update.
    /// <paramref name="origin"/> names the stream in error messages. If opening fails the stream is
    /// left to the caller.</summary>
    /// <exception cref="InvalidDataException">The header is malformed; the message starts with <paramref name="origin"/>.</exception>
    public static SafeTensorsFile Open(Stream stream, string origin, bool leaveOpen = false)
    {
        if (!stream.CanRead || !stream.CanSeek)
            throw new ArgumentException($"{origin}: reading safetensors needs a readable, seekable stream", nameof(stream));
        return new SafeTensorsFile(stream, origin, leaveOpen);
    }

    internal void ReadData(long begin, Span<byte> destination)
    {
        lock (_gate)
        {
            _stream.Position = _dataStart + begin;
            try
            {
                _stream.ReadExactly(destination);
            }
            catch (EndOfStreamException)
            {
                throw new InvalidDataException($"{Origin}: the file ended inside a tensor's data; was it truncated after it was opened?");
            }
        }
    }

    public void Dispose()
    {
        if (!_leaveOpen)
            _stream.Dispose();
    }
}
