using FedPrompt.Formats.Checkpoints;
using FedPrompt.Model.Checkpoints;
using static FedPrompt.Model.Tests.Checkpoints.CheckpointFixtures;

namespace FedPrompt.Model.Tests.Checkpoints;

public sealed class SafeTensorsWriterTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("safetensors-writer-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void WhatItWritesReadsBack()
    {
        var floats = new byte[24];
        new Random(7).NextBytes(floats);
        var path = Path.Combine(_folder, "round trip.safetensors");
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["round"] = "3" };

        SafeTensorsWriter.WriteFile(path, [
            SafeTensorsEntry.FromBytes("layer.weight", StoredDType.F32, [2, 3], floats),
            new SafeTensorsEntry("mask", StoredDType.Bool, [3], stream => stream.Write([1, 0, 1])),
            SafeTensorsEntry.FromBytes("scalar", StoredDType.I64, [], BitConverter.GetBytes(-5L)),
            SafeTensorsEntry.FromBytes("nothing", StoredDType.BF16, [0, 4], Array.Empty<byte>()),
        ], metadata);

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(["layer.weight", "mask", "scalar", "nothing"], file.Tensors.Keys);
        Assert.Equal(metadata, file.Metadata);
        Assert.Equal(floats, Read(file.Tensors["layer.weight"]));
        Assert.Equal([2L, 3L], file.Tensors["layer.weight"].Shape);
        Assert.Equal(new byte[] { 1, 0, 1 }, Read(file.Tensors["mask"]));
        Assert.Equal(BitConverter.GetBytes(-5L), Read(file.Tensors["scalar"]));
        Assert.Equal(StoredDType.BF16, file.Tensors["nothing"].DType);
        Assert.Empty(Read(file.Tensors["nothing"]));
    }

    [Fact]
    public void RewritesPythonsFileByteForByte()
    {
        var python = PathOf("dtypes.safetensors");
        var copy = Path.Combine(_folder, "dtypes.safetensors");

        using (var source = SafeTensorsFile.Open(python))
            SafeTensorsWriter.WriteFile(copy, source.Tensors.Values.Select(SafeTensorsEntry.FromStored).ToList(), source.Metadata);

        Assert.Equal(File.ReadAllBytes(python), File.ReadAllBytes(copy));
    }

    [Fact]
    public void ConvertsATorchCheckpointExactlyAsPythonDoes()
    {
        using var checkpoint = TorchZipCheckpoint.Open(PathOf("layouts.pt"));
        using var written = new MemoryStream();

        SafeTensorsWriter.Write(written, checkpoint.Tensors.Values.Select(SafeTensorsEntry.FromStored).ToList());

        Assert.Equal(File.ReadAllBytes(PathOf("layouts.safetensors")), written.ToArray());
    }

    [Fact]
    public void ReplacesAnExistingFileAndLeavesNoTemporaryFile()
    {
        var path = Path.Combine(_folder, "model.safetensors");
        File.WriteAllText(path, "old contents");

        SafeTensorsWriter.WriteFile(path, [SafeTensorsEntry.FromBytes("w", StoredDType.U8, [2], new byte[] { 4, 2 })]);

        using (var file = SafeTensorsFile.Open(path))
            Assert.Equal(new byte[] { 4, 2 }, Read(file.Tensors["w"]));
        Assert.Equal([path], Directory.GetFiles(_folder));
    }

    [Fact]
    public void AFailedWriteKeepsTheOldFile()
    {
        var path = Path.Combine(_folder, "model.safetensors");
        File.WriteAllText(path, "old contents");

        var error = Assert.Throws<InvalidOperationException>(() => SafeTensorsWriter.WriteFile(path,
            [new SafeTensorsEntry("w", StoredDType.F32, [2], stream => stream.Write(new byte[5]))]));

        Assert.Equal("tensor 'w' wrote 5 bytes but needs 8", error.Message);
        Assert.Equal("old contents", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(_folder));
    }

    [Fact]
    public void StopsACallbackThatWritesTooMuch()
    {
        var error = Assert.Throws<InvalidOperationException>(() => SafeTensorsWriter.Write(new MemoryStream(),
            [new SafeTensorsEntry("w", StoredDType.I16, [2], stream => stream.Write(new byte[6]))]));

        Assert.Equal("tensor 'w' wrote more than its 4 bytes", error.Message);
    }

    [Theory]
    [InlineData("w", "tensor name 'w' appears twice")]
    [InlineData("__metadata__", "'__metadata__' is reserved for metadata and cannot name a tensor")]
    public void RefusesNamesThatCannotBeReadBack(string secondName, string problem)
    {
        var error = Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(new MemoryStream(), [
            SafeTensorsEntry.FromBytes("w", StoredDType.U8, [1], new byte[1]),
            SafeTensorsEntry.FromBytes(secondName, StoredDType.U8, [1], new byte[1]),
        ]));

        Assert.StartsWith(problem, error.Message);
    }

    private static byte[] Read(StoredTensor tensor)
    {
        var bytes = new byte[tensor.ByteCount];
        tensor.ReadInto(bytes);
        return bytes;
    }
}
