using System.IO.Compression;
using FedPrompt.Model.Checkpoints;

namespace FedPrompt.Model.Tests.Checkpoints;

/// <summary>Random views against a direct element-by-element copy. Small windows make the walk refill
/// its window, read long runs straight into place, and move backwards (overlapping strides), which the
/// small fixture files never do.</summary>
public class StridedCopyTests
{
    [Theory]
    [InlineData(CompressionLevel.NoCompression)] // how torch.save stores entries
    [InlineData(CompressionLevel.Optimal)]       // a re-zipped checkpoint
    public void CopiesAnyViewAsADirectCopyWould(CompressionLevel compression)
    {
        var random = new Random(12345);
        for (var trial = 0; trial < 300; trial++)
        {
            var elementSize = new[] { 1, 2, 4, 8 }[random.Next(4)];
            var shape = Enumerable.Range(0, random.Next(5)).Select(_ => (long)random.Next(1, 5)).ToArray();
            var stride = shape.Select(_ => (long)random.Next(0, 8)).ToArray();
            long storageOffset = random.Next(0, 6);
            var storageBytes = new byte[StridedCopy.StorageBytesNeeded(elementSize, storageOffset, shape, stride)];
            random.NextBytes(storageBytes);
            var windowBytes = random.Next(1, 64);
            var description = $"trial {trial}: element {elementSize}, shape [{string.Join(",", shape)}], stride [{string.Join(",", stride)}], offset {storageOffset}, window {windowBytes}";

            var copied = new byte[shape.Aggregate((long)elementSize, (n, d) => n * d)];
            using (var zip = ZipHolding(storageBytes, compression))
            using (var reader = new ZipEntryReader(zip.Entries[0]))
                StridedCopy.Gather(reader, elementSize, storageOffset, shape, stride, copied, windowBytes);

            Assert.True(DirectCopy(storageBytes, elementSize, storageOffset, shape, stride).SequenceEqual(copied), description);
        }
    }

    private static byte[] DirectCopy(byte[] storage, int elementSize, long storageOffset, long[] shape, long[] stride)
    {
        var elementCount = shape.Aggregate(1L, (n, d) => n * d);
        var copy = new byte[elementCount * elementSize];
        for (long flat = 0; flat < elementCount; flat++)
        {
            long rest = flat, source = storageOffset;
            for (var d = shape.Length - 1; d >= 0; d--)
            {
                source += rest % shape[d] * stride[d];
                rest /= shape[d];
            }
            Array.Copy(storage, source * elementSize, copy, flat * elementSize, elementSize);
        }
        return copy;
    }

    private static ZipArchive ZipHolding(byte[] data, CompressionLevel compression)
    {
        var bytes = new MemoryStream();
        using (var zip = new ZipArchive(bytes, ZipArchiveMode.Create, leaveOpen: true))
        using (var entry = zip.CreateEntry("archive/data/0", compression).Open())
            entry.Write(data);
        bytes.Position = 0;
        return new ZipArchive(bytes, ZipArchiveMode.Read);
    }
}
