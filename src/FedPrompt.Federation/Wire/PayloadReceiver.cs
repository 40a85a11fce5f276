using System.Security.Cryptography;
using FedPrompt.Federation.Messages;

namespace FedPrompt.Federation.Wire;

/// <summary>A payload whose size, length or SHA-256 is not what its header announced, or that is too large.</summary>
public sealed class PayloadException(string message) : Exception(message);

/// <summary>
/// Receives a payload chunk by chunk into a stream (memory on a site, a spool file on the server so
/// many concurrent uploads do not hold many models in memory), refusing it as soon as it exceeds
/// the announced or allowed size, and checking its SHA-256 at the end.
/// </summary>
public sealed class PayloadReceiver : IDisposable
{
    readonly PayloadDescription _announced;
    readonly Stream _destination;
    readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    long _received;

    PayloadReceiver(PayloadDescription announced, long limit, Stream destination)
    {
        if (announced.Size > limit)
        {
            destination.Dispose();
            throw new PayloadException($"payload of {announced.Size:N0} bytes exceeds the limit of {limit:N0} bytes");
        }
        _announced = announced;
        _destination = destination;
    }

    public static PayloadReceiver InMemory(PayloadDescription announced, long limit) =>
        new(announced, limit, new MemoryStream());

    public static PayloadReceiver Spooled(PayloadDescription announced, long limit, string spoolFolder)
    {
        Directory.CreateDirectory(spoolFolder);
        var path = Path.Combine(spoolFolder, $"{Guid.NewGuid():N}.part");
        // Opened delete-on-close: however the upload ends, the spool file goes with the receiver.
        return new(announced, limit, new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, 1 << 16, FileOptions.DeleteOnClose));
    }

    public void Append(ReadOnlySpan<byte> chunk)
    {
        _received += chunk.Length;
        if (_received > _announced.Size)
            throw new PayloadException($"payload is longer than the {_announced.Size:N0} bytes announced");
        _hash.AppendData(chunk);
        _destination.Write(chunk);
    }

    /// <summary>Checks length and hash; the returned stream (positioned at 0) lives until this receiver is disposed.</summary>
    public Stream Complete()
    {
        if (_received != _announced.Size)
            throw new PayloadException($"payload ended after {_received:N0} of the {_announced.Size:N0} bytes announced");
        var actual = Convert.ToHexString(_hash.GetHashAndReset()).ToLowerInvariant();
        if (actual != _announced.Sha256)
            throw new PayloadException($"payload checksum mismatch: announced SHA-256 {Short(_announced.Sha256)}…, received {Short(actual)}…");
        _destination.Flush();
        _destination.Position = 0;
        return _destination;
    }

    static string Short(string hash) => hash.Length > 12 ? hash[..12] : hash;

    public void Dispose()
    {
        _hash.Dispose();
        _destination.Dispose();
    }
}
