using System.Buffers.Binary;
using System.IO.Hashing;
using FedPrompt.Formats.Metrics;
using FedPrompt.Testing;
using Google.Protobuf;

namespace FedPrompt.Tuning.Tests.Tuning;

public class TensorBoardWriterTests
{
    /// <summary>The checksum the records are checked with below is CRC-32C (Castagnoli), by its standard check value.</summary>
    [Fact]
    public void Crc32CMatchesTheStandardCheckValue() =>
        Assert.Equal(0xE3069283u, Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, "123456789"u8));

    /// <summary>The bytes of the hand-written encoder this one replaced, which TensorBoard read: the same
    /// records, field for field (a step of 300 takes a two-byte varint).</summary>
    [Fact]
    public void TheEventFileIsByteForByteTheKnownGoodOne()
    {
        using var folder = new TemporaryDirectory();
        var time = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_250);
        TensorBoardWriter.Write(folder.Path, [new Scalar("global/validation_loss", 3, 0.25, time), new Scalar("site-1/train_loss", 300, 1.5, time.AddSeconds(2))]);

        Assert.Equal(
            "1A00000000000000129BD82D0900001040FC54D94110001A0D627261696E2E4576656E743A3252EF97932C00000000000000F4AECC45"
            + "0900001040FC54D94110032A1F0A1D0A16676C6F62616C2F76616C69646174696F6E5F6C6F7373150000803EB0805840280000000000"
            + "0000FF70164A0900009040FC54D94110AC022A1A0A180A11736974652D312F747261696E5F6C6F7373150000C03F8ECC3D97",
            Convert.ToHexString(File.ReadAllBytes(Path.Combine(folder.Path, TensorBoardWriter.FileName))));
    }

    /// <summary>Reads the file back as TensorBoard does: TFRecord framing with masked CRC-32C, Event protos.</summary>
    [Fact]
    public void TheEventFileHoldsEveryScalarInTfRecordFraming()
    {
        using var folder = new TemporaryDirectory();
        var time = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        TensorBoardWriter.Write(folder.Path, [new Scalar("global/validation_loss", 3, 0.25, time), new Scalar("site-1/train_loss", 4, 1.5, time)]);

        var bytes = File.ReadAllBytes(Path.Combine(folder.Path, TensorBoardWriter.FileName));
        var events = new List<(double WallTime, long Step, string? Version, string? Tag, float Value)>();
        int at = 0;
        while (at < bytes.Length)
        {
            var length = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at));
            Assert.Equal(MaskedCrc32C(bytes.AsSpan(at, 8)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8)));
            var data = bytes.AsSpan(at + 12, (int)length);
            Assert.Equal(MaskedCrc32C(data), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 12 + (int)length)));
            events.Add(ParseEvent(data.ToArray()));
            at += 16 + (int)length;
        }

        Assert.Equal(3, events.Count);
        Assert.Equal("brain.Event:2", events[0].Version);
        Assert.Equal((1_700_000_000.0, 3L, "global/validation_loss", 0.25f), (events[1].WallTime, events[1].Step, events[1].Tag, events[1].Value));
        Assert.Equal((4L, "site-1/train_loss", 1.5f), (events[2].Step, events[2].Tag, events[2].Value));
    }

    /// <summary>TFRecord's mask, as TensorFlow's crc32c.h defines it.</summary>
    static uint MaskedCrc32C(ReadOnlySpan<byte> data)
    {
        var crc = Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, data);
        return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u;
    }

    static (double, long, string?, string?, float) ParseEvent(byte[] data)
    {
        var input = new CodedInputStream(data);
        double wallTime = 0;
        long step = 0;
        string? version = null, tag = null;
        float value = 0;
        uint field;
        while ((field = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(field))
            {
                case 1: wallTime = input.ReadDouble(); break;
                case 2: step = input.ReadInt64(); break;
                case 3: version = input.ReadString(); break;
                case 5:
                    var summary = new CodedInputStream(input.ReadBytes().ToByteArray());
                    Assert.Equal(1, WireFormat.GetTagFieldNumber(summary.ReadTag()));
                    var item = new CodedInputStream(summary.ReadBytes().ToByteArray());
                    uint inner;
                    while ((inner = item.ReadTag()) != 0)
                    {
                        if (WireFormat.GetTagFieldNumber(inner) == 1) tag = item.ReadString();
                        else value = item.ReadFloat();
                    }
                    break;
                default: input.SkipLastField(); break;
            }
        }
        return (wallTime, step, version, tag, value);
    }
}
