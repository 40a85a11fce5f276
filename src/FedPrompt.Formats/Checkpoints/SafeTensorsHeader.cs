using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace FedPrompt.Formats.Checkpoints;

/// <summary>
/// The start of a safetensors file: an 8-byte little-endian length, then that many bytes of JSON naming
/// each tensor's dtype, shape and byte range in the data section that follows.
/// </summary>
internal sealed class SafeTensorsHeader
{
    /// <summary>One tensor's place in the data section; <see cref="Begin"/> and <see cref="End"/> are
    /// relative to the data section's start.</summary>
    public sealed record Entry(string Name, StoredDType DType, long[] Shape, long Begin, long End);

    private const int LengthPrefixBytes = 8;
    private const string MetadataKey = "__metadata__";

    // As in the reference implementation: a longer header means a corrupt or hostile file, and reading it
    // would allocate that much.
    private const long MaxJsonBytes = 100_000_000;

    private SafeTensorsHeader(IReadOnlyList<Entry> tensors, IReadOnlyDictionary<string, string> metadata, long dataStart)
    {
        Tensors = tensors;
        Metadata = metadata;
        DataStart = dataStart;
    }

    /// <summary>In data order.</summary>
    public IReadOnlyList<Entry> Tensors { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }
    /// <summary>Offset of the data section from the start of the file.</summary>
    public long DataStart { get; }

    public static bool IsReservedName(string name) => name == MetadataKey;

    /// <summary>Reads and validates the header at the start of <paramref name="file"/>, against the file's length.</summary>
    public static SafeTensorsHeader Read(Stream file, string origin)
    {
        var fileLength = file.Length;
        if (fileLength < LengthPrefixBytes)
            throw Error(origin, $"truncated safetensors file: {fileLength} bytes, too short for the {LengthPrefixBytes}-byte header length");

        Span<byte> prefix = stackalloc byte[LengthPrefixBytes];
        file.Position = 0;
        file.ReadExactly(prefix);
        var jsonLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (jsonLength > (ulong)(fileLength - LengthPrefixBytes))
            throw Error(origin, $"header length {jsonLength} runs past the end of the file ({fileLength} bytes): the file is truncated or not safetensors");
        if (jsonLength > MaxJsonBytes)
            throw Error(origin, $"header length {jsonLength} exceeds the {MaxJsonBytes}-byte limit: not a safetensors file");

        var json = new byte[jsonLength];
        file.ReadExactly(json);
        var dataStart = LengthPrefixBytes + (long)jsonLength;
        return Parse(json, fileLength - dataStart, dataStart, origin);
    }

    private static SafeTensorsHeader Parse(byte[] json, long dataLength, long dataStart, string origin)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw Error(origin, $"header is not valid JSON: {e.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Error(origin, $"header is a JSON {root.ValueKind}, not an object");

            var seen = new HashSet<string>(StringComparer.Ordinal);
            var tensors = new List<Entry>();
            IReadOnlyDictionary<string, string> metadata = new Dictionary<string, string>();
            foreach (var member in root.EnumerateObject())
            {
                if (!seen.Add(member.Name))
                    throw Error(origin, $"header names '{member.Name}' twice");
                if (IsReservedName(member.Name))
                    metadata = ParseMetadata(member.Value, origin);
                else
                    tensors.Add(ParseEntry(member.Name, member.Value, dataLength, $"{origin}: tensor '{member.Name}'"));
            }

            var inDataOrder = tensors.OrderBy(t => t.Begin).ThenBy(t => t.End).ToList();
            CheckNoOverlap(inDataOrder, origin);
            return new SafeTensorsHeader(inDataOrder, metadata, dataStart);
        }
    }

    private static Entry ParseEntry(string name, JsonElement value, long dataLength, string where)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{where}: expected an object with dtype, shape and data_offsets, found a JSON {value.ValueKind}");

        var dtypeName = Member(value, "dtype", where);
        if (dtypeName.ValueKind != JsonValueKind.String)
            throw new InvalidDataException($"{where}: dtype must be a string");
        var dtype = StoredDTypes.FromSafeTensorsName(dtypeName.GetString()!, where);
        var shape = NonNegativeIntegers(Member(value, "shape", where), "shape", where);
        var offsets = NonNegativeIntegers(Member(value, "data_offsets", where), "data_offsets", where);
        if (offsets.Length != 2)
            throw new InvalidDataException($"{where}: data_offsets must hold 2 numbers, not {offsets.Length}");

        var (begin, end) = (offsets[0], offsets[1]);
        var range = $"data_offsets [{begin}, {end}]";
        if (begin > end)
            throw new InvalidDataException($"{where}: {range} run backwards");
        if (end > dataLength)
            throw new InvalidDataException($"{where}: {range} are out of range: the data section holds only {dataLength} bytes (is the file truncated?)");

        long needed;
        try
        {
            needed = TensorSizes.ByteCount(dtype, shape);
        }
        catch (OverflowException)
        {
            throw new InvalidDataException($"{where}: shape [{string.Join(", ", shape)}] is too large");
        }
        if (end - begin != needed)
            throw new InvalidDataException($"{where}: {range} span {end - begin} bytes but {TensorSizes.Describe(dtype, shape)} needs {needed}");

        return new Entry(name, dtype, shape, begin, end);
    }

    private static JsonElement Member(JsonElement entry, string name, string where) =>
        entry.TryGetProperty(name, out var member) ? member : throw new InvalidDataException($"{where}: missing '{name}'");

    private static long[] NonNegativeIntegers(JsonElement array, string what, string where)
    {
        const long Invalid = -1;
        var numbers = array.ValueKind == JsonValueKind.Array
            ? array.EnumerateArray().Select(n => n.ValueKind == JsonValueKind.Number && n.TryGetInt64(out var number) ? number : Invalid).ToArray()
            : [Invalid];
        if (numbers.Any(n => n < 0))
            throw new InvalidDataException($"{where}: {what} must be an array of non-negative integers, not {array.GetRawText()}");
        return numbers;
    }

    private static IReadOnlyDictionary<string, string> ParseMetadata(JsonElement value, string origin)
    {
        if (value.ValueKind != JsonValueKind.Object || value.EnumerateObject().Any(m => m.Value.ValueKind != JsonValueKind.String))
            throw Error(origin, $"{MetadataKey} must map strings to strings, not {value.GetRawText()}");
        return value.EnumerateObject().ToDictionary(m => m.Name, m => m.Value.GetString()!);
    }

    private static void CheckNoOverlap(IReadOnlyList<Entry> inDataOrder, string origin)
    {
        Entry? previous = null;
        foreach (var tensor in inDataOrder.Where(t => t.End > t.Begin))
        {
            if (previous is not null && tensor.Begin < previous.End)
                throw Error(origin,
                    $"tensors '{previous.Name}' and '{tensor.Name}' overlap: data_offsets [{previous.Begin}, {previous.End}] and [{tensor.Begin}, {tensor.End}]");
            previous = tensor;
        }
    }

    /// <summary>The length prefix and the JSON, padded with spaces so the data section starts at a
    /// multiple of 8 bytes.</summary>
    public static byte[] Serialize(IReadOnlyList<Entry> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var json = PythonJson.SortedCompact;
        var members = tensors.Select(t => (t.Name, json.EncodeMembers([
            ("dtype", json.EncodeString(t.DType.SafeTensorsName())),
            ("shape", json.EncodeArray(t.Shape)),
            ("data_offsets", json.EncodeArray([t.Begin, t.End])),
        ]))).ToList();
        if (metadata.Count > 0)
            members.Add((MetadataKey, json.EncodeObject(metadata)));

        var text = Encoding.UTF8.GetBytes(json.EncodeMembers(members));
        var paddedLength = (text.Length + 7) / 8 * 8;
        var header = new byte[LengthPrefixBytes + paddedLength];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)paddedLength);
        text.CopyTo(header, LengthPrefixBytes);
        header.AsSpan(LengthPrefixBytes + text.Length).Fill((byte)' ');
        return header;
    }

    private static InvalidDataException Error(string origin, string problem) => new($"{origin}: {problem}");
}
