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

    private Stream? stream;
    private long position;
    private byte[]? skipBuffer;

    /// <exception cref="EndOfStreamException">The entry is shorter than the range.</exception>
    public void ReadAt(long offset, Span<byte> destination)
    {
        MoveTo(offset);
        stream!.ReadExactly(destination);
        position += destination.Length;
    }

    private void MoveTo(long offset)
    {
        if (stream is null || (offset < position && !stream.CanSeek))
        {
            stream?.Dispose();
            stream = entry.Open();
            position = 0;
        }
        if (stream.CanSeek)
            stream.Position = offset;
        else
            Skip(offset - position);
        position = offset;
    }

    private void Skip(long count)
    {
        skipBuffer ??= new byte[SkipChunkBytes];
        for (var left = count; left > 0;)
        {
            var read = stream!.Read(skipBuffer, 0, (int)Math.Min(left, skipBuffer.Length));
            if (read == 0)
                throw new EndOfStreamException($"entry '{entry.FullName}' ends {left} bytes before offset {position + count}");
            left -= read;
        }
    }

    public void Dispose() => stream?.Dispose();
}
