using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using FedPrompt.Formats.Checkpoints;

namespace FedPrompt.Federation.SecureAggregation;

/// <summary>
/// What a site sends instead of its weight difference: w·Δ in fixed point plus its pairwise masks,
/// modulo 2^64 — on its own, uniformly random words. The weight w (local optimizer steps) travels in
/// the clear: the server needs Σw for the denominator. On the wire it is safetensors with one I64
/// tensor per model tensor (the words reinterpreted as two's complement; only their bits matter) and
/// the rest in the header's metadata, so it travels and spools like any other model payload.
/// </summary>
public sealed class MaskedUpdate
{
    const string Format = "fedprompt-masked-update/1";

    public MaskedUpdate(string site, string jobId, int round, long weight, byte[] participantsDigest, IReadOnlyList<MaskedTensor> tensors)
    {
        Site = site;
        JobId = jobId;
        Round = round;
        Weight = weight;
        ParticipantsDigest = participantsDigest;
        Tensors = tensors;
    }

    public string Site { get; }
    public string JobId { get; }
    public int Round { get; }
    /// <summary>w, the site's local optimizer steps, by which its difference was multiplied before masking.</summary>
    public long Weight { get; }
    /// <summary>SHA-256 identifying the key list the masks were made under.</summary>
    public byte[] ParticipantsDigest { get; }
    public IReadOnlyList<MaskedTensor> Tensors { get; }

    public void WriteTo(Stream destination) => SafeTensorsWriter.Write(destination, Entries(), Metadata());

    public byte[] ToBytes()
    {
        var stream = new MemoryStream(checked((int)(Tensors.Sum(t => (long)t.Values.Length) * sizeof(ulong) + 64 * 1024)));
        WriteTo(stream);
        return stream.ToArray();
    }

    /// <summary>Reads a masked update from a seekable stream, e.g. a spooled upload; the stream stays open.</summary>
    /// <exception cref="InvalidDataException">It is not a masked update; the message starts with <paramref name="origin"/>.</exception>
    public static MaskedUpdate Read(Stream safetensors, string origin)
    {
        using var file = SafeTensorsFile.Open(safetensors, origin, leaveOpen: true);
        var metadata = file.Metadata;
        string Field(string key) => metadata.TryGetValue(key, out var value)
            ? value
            : throw new InvalidDataException($"{origin}: not a masked update: no '{key}' in its metadata");
        if (Field("format") != Format)
            throw new InvalidDataException($"{origin}: format '{Field("format")}', expected '{Format}'");
        var tensors = file.Tensors.Values.Select(stored =>
        {
            if (stored.DType != StoredDType.I64) throw new InvalidDataException($"{origin}: {stored.Describe()} is not I64");
            var values = new ulong[stored.ElementCount];
            stored.ReadInto(MemoryMarshal.AsBytes(values.AsSpan()));
            return new MaskedTensor(stored.Name, stored.Shape, values);
        }).ToList();
        return new MaskedUpdate(Field("site"), Field("job"), Number<int>(origin, "round", Field("round")),
            Number<long>(origin, "weight", Field("weight")), ParseDigest(origin, Field("participants")), tensors);
    }

    public static MaskedUpdate FromBytes(byte[] safetensors, string origin) =>
        Read(new MemoryStream(safetensors, writable: false), origin);

    List<SafeTensorsEntry> Entries() =>
        Tensors.Select(t => new SafeTensorsEntry(t.Name, StoredDType.I64, t.Shape,
            stream => stream.Write(MemoryMarshal.AsBytes(t.Values.AsSpan())))).ToList();

    Dictionary<string, string> Metadata() => new()
    {
        ["format"] = Format,
        ["site"] = Site,
        ["job"] = JobId,
        ["round"] = Round.ToString(CultureInfo.InvariantCulture),
        ["weight"] = Weight.ToString(CultureInfo.InvariantCulture),
        ["participants"] = Convert.ToHexStringLower(ParticipantsDigest),
    };

    static T Number<T>(string origin, string key, string text) where T : IBinaryInteger<T> =>
        T.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new InvalidDataException($"{origin}: metadata '{key}' is '{text}', not an integer");

    static byte[] ParseDigest(string origin, string hex)
    {
        try
        {
            return Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            throw new InvalidDataException($"{origin}: metadata 'participants' is not hexadecimal");
        }
    }
}
