namespace FedPrompt.Model.Checkpoints;

/// <summary>A read-only, seekable window onto part of a file, so a member of an uncompressed
/// archive can be read in place instead of being copied out first.</summary>
public sealed class FileRegionStream : Stream
{
    readonly FileStream _file;
    readonly long _start;
    long _position;

    public FileRegionStream(string path, long start, long length)
    {
        _file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        if (start < 0 || length < 0 || start + length > _file.Length)
        {
            _file.Dispose();
            throw new InvalidDataException($"{path}: region [{start}, {start + length}) lies outside the file's {new FileInfo(path).Length} bytes");
        }
        _start = start;
        Length = length;
    }

    public override long Length { get; }
    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;

    public override long Position
    {
        get => _position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var available = Length - _position;
        if (available <= 0) return 0;
        if (buffer.Length > available) buffer = buffer[..(int)available];
        _file.Position = _start + _position;
        int read = _file.Read(buffer);
        _position += read;
        return read;
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => Length + offset,
        };
        if (target < 0) throw new IOException($"seek before the start of the region ({target})");
        _position = target;
        return _position;
    }

    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _file.Dispose();
        base.Dispose(disposing);
    }
}
