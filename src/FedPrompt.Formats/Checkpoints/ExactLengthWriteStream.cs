namespace FedPrompt.Formats.Checkpoints;

/// <summary>Passes writes through to another stream, refusing to go past a fixed length, so a tensor
/// callback that writes too much fails before it corrupts the next tensor's data.</summary>
internal sealed class ExactLengthWriteStream(Stream inner, long length, string tensorName) : Stream
{
    private long _written;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position
    {
        get => _written;
        set => throw new NotSupportedException();
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length > length - _written)
            throw new InvalidOperationException($"tensor '{tensorName}' wrote more than its {length} bytes");
        inner.Write(buffer);
        _written += buffer.Length;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <summary>Called after the tensor's callback returns.</summary>
    public void EnsureComplete()
    {
        if (_written != length)
            throw new InvalidOperationException($"tensor '{tensorName}' wrote {_written} bytes but needs {length}");
    }

    public override void Flush() => inner.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
