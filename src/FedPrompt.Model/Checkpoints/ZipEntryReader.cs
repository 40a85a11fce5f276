using System.IO.Compression;

namespace FedPrompt.Model.Checkpoints;

/// <summary>
/// Reads byte ranges of one zip entry. Entry streams of .NET's ZipArchive cannot seek (as of .NET 10), so
/// moving forward skips bytes and moving back reopens the entry: callers should read in increasing
/// offsets. Should a later .NET make stored entries seekable, this seeks instead.
/// </summary>
internal sealed class ZipEntryReader(ZipArchiveEntry entry) : IDisposable
{
    private const int SkipChunkBytes = 1 << 16;

    private Stream? _stream;
    private long _position;
    private byte[]? _skipBuffer;

    /// <exception cref="EndOfStreamException">The entry is shorter than the range.</exception>
    public void ReadAt(long offset, Span<byte> destination)
    {
        MoveTo(offset);
        _stream!.ReadExactly(destination);
        _position += destination.Length;
    }

    private void MoveTo(long offset)
    {
        if (_stream is null || (offset < _position && !_stream.CanSeek))
        {
            _stream?.Dispose();
            _stream = entry.Open();
            _position = 0;
        }
        if (_stream.CanSeek)
            _stream.Position = offset;
        else
            Skip(offset - _position);
        _position = offset;
    }

    private void Skip(long count)
    {
        _skipBuffer ??= new byte[SkipChunkBytes];
        for (var left = count; left > 0;)
        {
            var read = _stream!.Read(_skipBuffer, 0, (int)Math.Min(left, _skipBuffer.Length));
            if (read == 0)
                throw new EndOfStreamException($"entry '{entry.FullName}' ends {left} bytes before offset {_position + count}");
            left -= read;
        }
    }

    public void Dispose() => _stream?.Dispose();
}
