using System.Formats.Tar;
using FedPrompt.Model.Checkpoints;
using static FedPrompt.Model.Tests.Checkpoints.CheckpointFixtures;

namespace FedPrompt.Model.Tests.Checkpoints;

public class TorchZipCheckpointTests
{
    [Theory]
    [InlineData("dtypes.pt")]        // every dtype, a 0-dim and an empty tensor
    [InlineData("layouts.pt")]       // transposed, sliced, tied, expanded, permuted, Parameter, opaque objects
    [InlineData("lightning.ckpt")]   // tensors under "state_dict"; protocol 4; zip folder "archive"
    [InlineData("protocol5.pt")]     // POP, POP_MARK, sets, bytes, bytearray
    [InlineData("torch2_forms.pt")]  // _rebuild_tensor_v3, UntypedStorage, parameters with state, byteorder
    [InlineData("small.pt")]
    public void ReadsEveryTensorAsPyTorchSavedIt(string file)
    {
        using var checkpoint = TorchZipCheckpoint.Open(PathOf(file));

        Assert.Equal(PathOf(file), checkpoint.Origin);
        AssertTensorsMatch(ExpectedTorchTensors(file), checkpoint.Tensors);
    }

    [Fact]
    public void ReadsTensorsSharingAStorageInAnyOrder()
    {
        using var checkpoint = TorchZipCheckpoint.Open(PathOf("layouts.pt"));
        var expected = ExpectedTorchTensors("layouts.pt").EnumerateArray().Reverse();

        foreach (var tensor in expected.Concat(expected))
            AssertTensorMatches(tensor, checkpoint.Tensors[tensor.GetProperty("name").GetString()!]);
    }

    [Fact]
    public void ReadsTheWeightsOfANemoArchiveInPlace()
    {
        var path = PathOf("tiny.nemo");
        using var nemo = File.OpenRead(path);
        using var tar = new TarReader(nemo);
        TarEntry? entry;
        while ((entry = tar.GetNextEntry()) is not null && entry.Name != "./model_weights.ckpt")
        {
        }

        Assert.NotNull(entry?.DataStream);
        using var checkpoint = TorchZipCheckpoint.Open(entry.DataStream, $"{path}:model_weights.ckpt");

        AssertTensorsMatch(ExpectedTorchTensors("tiny.nemo"), checkpoint.Tensors);
    }

    [Theory]
    [InlineData("truncated.pt", "truncated or corrupt zip archive")]
    [InlineData("not_a_zip.pt", "not a zip archive, so not a torch.save checkpoint")]
    [InlineData("legacy.pt", "legacy torch.save format (PyTorch before 1.6, or _use_new_zipfile_serialization=False), which is not supported; re-save it")]
    [InlineData("big_endian.pt", "saved on a big-endian machine (byteorder 'big')")]
    [InlineData("missing_storage.pt", "tensor 'w' lives in storage entry 'small/data/0', which the archive lacks")]
    [InlineData("short_storage.pt", "tensor 'w' (F32[2, 3] at storage offset 0, stride [3, 1]) needs 24 bytes of storage entry 'small/data/0', which holds only 16")]
    [InlineData("unsupported_opcode.pt", "unsupported_opcode/data.pkl: unsupported pickle opcode EXT1 (0x82) at offset 9")]
    [InlineData("float8.pt", "tensor 'w' has unsupported dtype torch.float8_e4m3fn")]
    public void NamesTheFileAndTheProblem(string file, string problem)
    {
        var path = PathOf(file);

        var error = Assert.Throws<InvalidDataException>(() => TorchZipCheckpoint.Open(path));

        Assert.StartsWith(path + ": ", error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void RefusesADestinationOfTheWrongSize()
    {
        using var checkpoint = TorchZipCheckpoint.Open(PathOf("small.pt"));

        var error = Assert.Throws<ArgumentException>(() => checkpoint.Tensors["w"].ReadInto(new byte[23]));

        Assert.Contains("w F32[2, 3] needs a destination of 24 bytes, not 23", error.Message);
    }
}
