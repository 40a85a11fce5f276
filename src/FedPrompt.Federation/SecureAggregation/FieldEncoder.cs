using System.Buffers.Binary;
using System.Text;

namespace FedPrompt.Federation.SecureAggregation;

/// <summary>
/// Builds the byte strings that key derivation and digests are bound to, one field at a time, each
/// as a 4-byte big-endian length and then its bytes. Plain concatenation would be ambiguous — sites
/// "ab" ‖ "c" and "a" ‖ "bc" would share a seed — so every field carries its length.
/// </summary>
internal sealed class FieldEncoder
{
    readonly MemoryStream _bytes = new();

    public FieldEncoder Add(ReadOnlySpan<byte> field)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, field.Length);
        _bytes.Write(length);
        _bytes.Write(field);
        return this;
    }

    public FieldEncoder Add(string field) => Add(Encoding.UTF8.GetBytes(field));

    public FieldEncoder Add(long field)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, field);
        return Add(bytes);
    }

    public byte[] ToArray() => _bytes.ToArray();
}
