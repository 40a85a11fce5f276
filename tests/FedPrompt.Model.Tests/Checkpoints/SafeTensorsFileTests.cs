using FedPrompt.Formats.Checkpoints;

using static FedPrompt.Model.Tests.Checkpoints.CheckpointFixtures;

namespace FedPrompt.Model.Tests.Checkpoints;

public class SafeTensorsFileTests
{
    [Theory]
    [InlineData("dtypes.safetensors")]
    [InlineData("layouts.safetensors")]
    public void ReadsEveryTensorAndTheMetadata(string file)
    {
        var expected = ExpectedSafeTensors(file);

        using var safeTensors = SafeTensorsFile.Open(PathOf(file));

        Assert.Equal(PathOf(file), safeTensors.Origin);
        AssertTensorsMatch(expected.GetProperty("tensors"), safeTensors.Tensors);
        Assert.Equal(
            expected.GetProperty("metadata").EnumerateObject().Select(m => KeyValuePair.Create(m.Name, m.Value.GetString()!)).OrderBy(m => m.Key),
            safeTensors.Metadata.OrderBy(m => m.Key));
    }

    [Fact]
    public void ReadsFromAStream()
    {
        using var stream = new MemoryStream(File.ReadAllBytes(PathOf("dtypes.safetensors")));

        using var safeTensors = SafeTensorsFile.Open(stream, "update from client 7");

        Assert.Equal("update from client 7", safeTensors.Origin);
        AssertTensorsMatch(ExpectedSafeTensors("dtypes.safetensors").GetProperty("tensors"), safeTensors.Tensors);
    }

    [Theory]
    [InlineData("truncated.safetensors", "are out of range: the data section holds only")]
    [InlineData("short.safetensors", "truncated safetensors file: 5 bytes, too short for the 8-byte header length")]
    [InlineData("header_past_end.safetensors", "header length 1000 runs past the end of the file (15 bytes)")]
    [InlineData("bad_json.safetensors", "header is not valid JSON")]
    [InlineData("not_an_object.safetensors", "header is a JSON Array, not an object")]
    [InlineData("bad_dtype.safetensors", "tensor 'w': unsupported dtype 'F8_E4M3'")]
    [InlineData("bad_shape.safetensors", "tensor 'w': shape must be an array of non-negative integers, not [2,-1]")]
    [InlineData("size_mismatch.safetensors", "tensor 'w': data_offsets [0, 20] span 20 bytes but F32[2, 3] needs 24")]
    [InlineData("overlap.safetensors", "tensors 'a' and 'b' overlap: data_offsets [0, 8] and [4, 12]")]
    [InlineData("bad_metadata.safetensors", "__metadata__ must map strings to strings")]
    public void NamesTheFileAndTheProblem(string file, string problem)
    {
        var path = PathOf(file);

        var error = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Open(path));

        Assert.StartsWith(path + ": ", error.Message);
        Assert.Contains(problem, error.Message);
    }
}
