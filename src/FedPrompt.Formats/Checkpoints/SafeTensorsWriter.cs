namespace FedPrompt.Formats.Checkpoints;

/// <summary>
/// Writes safetensors: the header (keys sorted, compact JSON, padded with spaces to a multiple of 8 bytes),
/// then each tensor's bytes in the order given, streamed from its callback.
/// </summary>
public static class SafeTensorsWriter
{
    /// <summary>Writes to <paramref name="path"/> through <see cref="AtomicFile"/>: a reader never sees half
    /// a file, and a crash or a failed write leaves the old file in place.</summary>
    public static void WriteFile(string path, IReadOnlyList<SafeTensorsEntry> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        AtomicFile.Write(path, stream => Write(stream, tensors, metadata));

    /// <summary>Writes the safetensors bytes to <paramref name="destination"/>, which need not be seekable
    /// (a network stream will do).</summary>
    public static void Write(Stream destination, IReadOnlyList<SafeTensorsEntry> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        destination.Write(SafeTensorsHeader.Serialize(Layout(tensors), metadata ?? new Dictionary<string, string>()));
        foreach (var tensor in tensors)
        {
            var data = new ExactLengthWriteStream(destination, tensor.ByteCount, tensor.Name);
            tensor.WriteData(data);
            data.EnsureComplete();
        }
    }

    private static List<SafeTensorsHeader.Entry> Layout(IReadOnlyList<SafeTensorsEntry> tensors)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var layout = new List<SafeTensorsHeader.Entry>(tensors.Count);
        long offset = 0;
        foreach (var tensor in tensors)
        {
            if (SafeTensorsHeader.IsReservedName(tensor.Name))
                throw new ArgumentException($"'{tensor.Name}' is reserved for metadata and cannot name a tensor", nameof(tensors));
            if (!names.Add(tensor.Name))
                throw new ArgumentException($"tensor name '{tensor.Name}' appears twice", nameof(tensors));
            layout.Add(new SafeTensorsHeader.Entry(tensor.Name, tensor.DType, tensor.Shape, offset, offset + tensor.ByteCount));
            offset += tensor.ByteCount;
        }
        return layout;
    }
}
