using System.Buffers.Binary;
using System.IO.Hashing;
using Google.Protobuf;

namespace FedPrompt.Formats.Metrics;

/// <summary>One scalar point of a TensorBoard curve.</summary>
public sealed record Scalar(string Tag, long Step, double Value, DateTimeOffset Time);

/// <summary>
/// Writes TensorBoard event files: TFRecord framing of Event protos holding scalar summaries. The three
/// messages needed are encoded field by field rather than generated from TensorFlow's .proto files. A
/// file is rendered whole from the points given and replaced atomically, so it always agrees with the
/// metrics it was rendered from.
/// </summary>
public static class TensorBoardWriter
{
    public const string FileName = "events.out.tfevents.fedprompt";

    public static void Write(string folder, IEnumerable<Scalar> scalars)
    {
        var points = scalars.ToList();
        var start = points.Count > 0 ? points.Min(p => p.Time) : DateTimeOffset.UtcNow;
        AtomicFile.Write(Path.Combine(folder, FileName), file =>
        {
            Record(file, Event(start, 0, fileVersion: "brain.Event:2", summary: null));
            foreach (var point in points)
                Record(file, Event(point.Time, point.Step, null, (point.Tag, (float)point.Value)));
        });
    }

    /// <summary>A TFRecord: the data's length (uint64), its masked CRC, the data, the data's masked CRC.</summary>
    static void Record(Stream output, ReadOnlySpan<byte> data)
    {
        Span<byte> length = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(length[8..], MaskedCrc(length[..8]));
        output.Write(length);
        output.Write(data);
        Span<byte> crc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(crc, MaskedCrc(data));
        output.Write(crc);
    }

    /// <summary>TFRecord's masking of CRC-32C, so a CRC of data that itself holds CRCs stays well distributed.</summary>
    static uint MaskedCrc(ReadOnlySpan<byte> data)
    {
        var crc = Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, data);
        return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u;
    }

    /// <summary>Event { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; },
    /// Summary { repeated Value value = 1; }, Value { string tag = 1; float simple_value = 2; }.</summary>
    static byte[] Event(DateTimeOffset time, long step, string? fileVersion, (string Tag, float Value)? summary)
    {
        var buffer = new MemoryStream();
        using (var output = new CodedOutputStream(buffer, leaveOpen: true))
        {
            output.WriteTag(1, WireFormat.WireType.Fixed64);
            output.WriteDouble(time.ToUnixTimeMilliseconds() / 1000.0);
            output.WriteTag(2, WireFormat.WireType.Varint);
            output.WriteInt64(step);
            if (fileVersion is not null)
            {
                output.WriteTag(3, WireFormat.WireType.LengthDelimited);
                output.WriteString(fileVersion);
            }
            if (summary is { } s)
            {
                // Nested messages are length-prefixed, so the sizes come first.
                int valueSize = CodedOutputStream.ComputeTagSize(1) + CodedOutputStream.ComputeStringSize(s.Tag)
                    + CodedOutputStream.ComputeTagSize(2) + CodedOutputStream.ComputeFloatSize(s.Value);
                int summarySize = CodedOutputStream.ComputeTagSize(1) + CodedOutputStream.ComputeLengthSize(valueSize) + valueSize;
                output.WriteTag(5, WireFormat.WireType.LengthDelimited);
                output.WriteLength(summarySize);
                output.WriteTag(1, WireFormat.WireType.LengthDelimited);
                output.WriteLength(valueSize);
                output.WriteTag(1, WireFormat.WireType.LengthDelimited);
                output.WriteString(s.Tag);
                output.WriteTag(2, WireFormat.WireType.Fixed32);
                output.WriteFloat(s.Value);
            }
        }
        return buffer.ToArray();
    }
}
