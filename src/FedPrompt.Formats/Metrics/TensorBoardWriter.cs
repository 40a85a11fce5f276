using System.Buffers.Binary;
using System.Text;

namespace FedPrompt.Formats.Metrics;

/// <summary>One scalar point of a TensorBoard curve.</summary>
public sealed record Scalar(string Tag, long Step, double Value, DateTimeOffset Time);

/// <summary>
/// Writes TensorBoard event files (TFRecord framing of Event protos holding scalar summaries), the
/// few protobuf fields needed encoded by hand. A file is rendered whole from the points given and
/// replaced atomically, so it always agrees with the metrics it was rendered from.
/// </summary>
public static class TensorBoardWriter
{
    public const string FileName = "events.out.tfevents.fedprompt";

    public static void Write(string folder, IEnumerable<Scalar> scalars)
    {
        var points = scalars.ToList();
        var buffer = new MemoryStream();
        var start = points.Count > 0 ? points.Min(p => p.Time) : DateTimeOffset.UtcNow;
        Record(buffer, Event(start, 0, fileVersion: "brain.Event:2", summary: null));
        foreach (var point in points)
            Record(buffer, Event(point.Time, point.Step, null, (point.Tag, (float)point.Value)));
        AtomicFile.WriteAllBytes(Path.Combine(folder, FileName), buffer.ToArray());
    }

    static void Record(Stream output, byte[] data)
    {
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)data.Length);
        Span<byte> crc = stackalloc byte[4];
        output.Write(length);
        BinaryPrimitives.WriteUInt32LittleEndian(crc, Crc32C.Masked(length));
        output.Write(crc);
        output.Write(data);
        BinaryPrimitives.WriteUInt32LittleEndian(crc, Crc32C.Masked(data));
        output.Write(crc);
    }

    /// <summary>Event { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; },
    /// Summary { repeated Value value = 1; }, Value { string tag = 1; float simple_value = 2; }.</summary>
    static byte[] Event(DateTimeOffset time, long step, string? fileVersion, (string Tag, float Value)? summary)
    {
        var e = new MemoryStream();
        e.WriteByte(0x09);
        Span<byte> eight = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(eight, time.ToUnixTimeMilliseconds() / 1000.0);
        e.Write(eight);
        e.WriteByte(0x10);
        Varint(e, (ulong)step);
        if (fileVersion is not null) LengthDelimited(e, 0x1A, Encoding.UTF8.GetBytes(fileVersion));
        if (summary is { } s)
        {
            var value = new MemoryStream();
            LengthDelimited(value, 0x0A, Encoding.UTF8.GetBytes(s.Tag));
            value.WriteByte(0x15);
            Span<byte> four = stackalloc byte[4];
            BinaryPrimitives.WriteSingleLittleEndian(four, s.Value);
            value.Write(four);
            var summaryMessage = new MemoryStream();
            LengthDelimited(summaryMessage, 0x0A, value.ToArray());
            LengthDelimited(e, 0x2A, summaryMessage.ToArray());
        }
        return e.ToArray();
    }

    static void LengthDelimited(Stream output, byte tag, byte[] payload)
    {
        output.WriteByte(tag);
        Varint(output, (ulong)payload.Length);
        output.Write(payload);
    }

    static void Varint(Stream output, ulong value)
    {
        while (value >= 0x80)
        {
            output.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        output.WriteByte((byte)value);
    }
}
