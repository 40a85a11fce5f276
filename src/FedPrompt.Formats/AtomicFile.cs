using System.Text;

namespace FedPrompt.Formats;

/// <summary>
/// Writes a file so that readers, and a crash, only ever see the old contents or the complete new
/// ones: the data goes to a temporary file in the same folder, is flushed to disk, then renamed over
/// the target (rename within one file system is atomic).
/// </summary>
public static class AtomicFile
{
    /// <param name="ownerOnly">Create the file readable and writable by its owner alone (mode 0600; Windows
    /// has no such mode). The temporary file is created so, and the rename keeps it, so a secret is never
    /// readable by others, not even for a moment.</param>
    public static void Write(string path, Action<Stream> write, bool ownerOnly = false)
    {
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        var temporary = Path.Combine(folder, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 1 << 16 };
        if (ownerOnly && !OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            using (var stream = new FileStream(temporary, options))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes, bool ownerOnly = false)
    {
        var copy = bytes.ToArray();
        Write(path, stream => stream.Write(copy), ownerOnly);
    }

    public static void WriteAllText(string path, string text, bool ownerOnly = false) =>
        WriteAllBytes(path, new UTF8Encoding(false).GetBytes(text), ownerOnly);
}
