using System.Buffers.Binary;
using System.Text.Json;
using FedPrompt.Formats.Checkpoints;

namespace FedPrompt.Model.Tests.Checkpoints;

/// <summary>The files tools/make_checkpoint_fixtures.py writes with real PyTorch, and what they hold
/// according to PyTorch (expected.json).</summary>
internal static class CheckpointFixtures
{
    public static string Folder { get; } = FindFolder();

    private static readonly JsonElement Expected = JsonDocument.Parse(File.ReadAllBytes(PathOf("expected.json"))).RootElement;

    public static string PathOf(string name) => Path.Combine(Folder, name);

    public static JsonElement ExpectedTorchTensors(string file) => Expected.GetProperty("torch").GetProperty(file);

    public static JsonElement ExpectedSafeTensors(string file) => Expected.GetProperty("safetensors").GetProperty(file);

    /// <summary>The same tensors, in the same order, with every value equal (floats bit for bit).</summary>
    public static void AssertTensorsMatch(JsonElement expectedTensors, IReadOnlyDictionary<string, StoredTensor> actual)
    {
        var expected = expectedTensors.EnumerateArray().ToList();
        Assert.Equal(expected.Select(t => t.GetProperty("name").GetString()), actual.Keys);
        foreach (var tensor in expected)
            AssertTensorMatches(tensor, actual[tensor.GetProperty("name").GetString()!]);
    }

    public static void AssertTensorMatches(JsonElement expected, StoredTensor actual)
    {
        Assert.Equal(expected.GetProperty("dtype").GetString(), actual.DType.SafeTensorsName());
        Assert.Equal(expected.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()), actual.Shape);
        var bytes = new byte[actual.ByteCount];
        actual.ReadInto(bytes);
        var values = expected.GetProperty("values").EnumerateArray().ToList();
        Assert.Equal(values.Count, actual.ElementCount);
        for (var i = 0; i < values.Count; i++)
        {
            var element = bytes.AsSpan(i * actual.DType.Size(), actual.DType.Size());
            var matches = actual.DType switch
            {
                StoredDType.F64 => SameFloat(values[i], BinaryPrimitives.ReadDoubleLittleEndian(element)),
                StoredDType.F32 => SameFloat(values[i], BinaryPrimitives.ReadSingleLittleEndian(element)),
                StoredDType.F16 => SameFloat(values[i], (double)BinaryPrimitives.ReadHalfLittleEndian(element)),
                StoredDType.BF16 => SameFloat(values[i], BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(element) << 16)),
                StoredDType.I64 => values[i].GetInt64() == BinaryPrimitives.ReadInt64LittleEndian(element),
                StoredDType.I32 => values[i].GetInt64() == BinaryPrimitives.ReadInt32LittleEndian(element),
                StoredDType.I16 => values[i].GetInt64() == BinaryPrimitives.ReadInt16LittleEndian(element),
                StoredDType.I8 => values[i].GetInt64() == (sbyte)element[0],
                StoredDType.U8 => values[i].GetInt64() == element[0],
                StoredDType.Bool => values[i].GetBoolean() == (element[0] != 0),
                _ => false,
            };
            Assert.True(matches, $"{actual.Describe()} element {i}: expected {values[i]}, read bytes {Convert.ToHexString(element)}");
        }
    }

    /// <summary>expected.json writes non-finite floats as strings; -0.0 must stay negative.</summary>
    private static bool SameFloat(JsonElement expected, double actual) => expected.ValueKind == JsonValueKind.String
        ? expected.GetString() switch
        {
            "nan" => double.IsNaN(actual),
            "inf" => double.IsPositiveInfinity(actual),
            "-inf" => double.IsNegativeInfinity(actual),
            _ => false,
        }
        : BitConverter.DoubleToInt64Bits(expected.GetDouble()) == BitConverter.DoubleToInt64Bits(actual);

    private static string FindFolder()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            var candidate = Path.Combine(folder.FullName, "tests", "fixtures", "checkpoints");
            if (Directory.Exists(candidate))
                return candidate;
        }
        throw new DirectoryNotFoundException($"no tests/fixtures/checkpoints above {AppContext.BaseDirectory}");
    }
}
