using System.Buffers.Binary;
using System.Text;

namespace FedPrompt.Model.Native;

/// <summary>
/// The symbol-versioning tables of an ELF64 little-endian shared object: which versions it defines
/// (.gnu.version_d) and which it needs from each dependency (.gnu.version_r). Just enough ELF to
/// decide whether a library can load against this system's libstdc++, and to mark a need weak.
/// </summary>
public sealed class ElfImage
{
    const uint ShtGnuVerdef = 0x6ffffffd;
    const uint ShtGnuVerneed = 0x6ffffffe;
    public const ushort VerFlagWeak = 0x2;

    /// <summary>One version a library needs from a dependency, with where its flags live in the file.</summary>
    public sealed record VersionNeed(string File, string Version, ushort Flags, long FlagsOffset)
    {
        public bool IsWeak => (Flags & VerFlagWeak) != 0;
    }

    readonly byte[] _bytes;
    readonly string _path;

    ElfImage(string path, byte[] bytes)
    {
        _path = path;
        _bytes = bytes;
        if (bytes.Length < 64 || bytes[0] != 0x7f || bytes[1] != (byte)'E' || bytes[2] != (byte)'L' || bytes[3] != (byte)'F')
            throw new InvalidDataException($"{path}: not an ELF file");
        if (bytes[4] != 2 || bytes[5] != 1)
            throw new InvalidDataException($"{path}: only 64-bit little-endian ELF is supported");
    }

    public static ElfImage Read(string path) => new(path, File.ReadAllBytes(path));

    public byte[] Bytes => _bytes;

    public IReadOnlyList<string> DefinedVersions()
    {
        var result = new List<string>();
        foreach (var (offset, count, strtab) in Sections(ShtGnuVerdef))
        {
            long entry = offset;
            for (int i = 0; i < count; i++)
            {
                // Elf64_Verdef: vd_version u16, vd_flags u16, vd_ndx u16, vd_cnt u16, vd_hash u32, vd_aux u32, vd_next u32
                uint aux = U32(entry + 12);
                uint next = U32(entry + 16);
                // The first Verdaux names the version itself; later ones name its parents.
                result.Add(CString(strtab + U32(entry + aux)));
                if (next == 0) break;
                entry += next;
            }
        }
        return result;
    }

    public IReadOnlyList<VersionNeed> VersionNeeds()
    {
        var result = new List<VersionNeed>();
        foreach (var (offset, count, strtab) in Sections(ShtGnuVerneed))
        {
            long need = offset;
            for (int i = 0; i < count; i++)
            {
                // Elf64_Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32
                ushort auxCount = U16(need + 2);
                string file = CString(strtab + U32(need + 4));
                long aux = need + U32(need + 8);
                for (int j = 0; j < auxCount; j++)
                {
                    // Elf64_Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32
                    result.Add(new VersionNeed(file, CString(strtab + U32(aux + 8)), U16(aux + 4), aux + 4));
                    uint nextAux = U32(aux + 12);
                    if (nextAux == 0) break;
                    aux += nextAux;
                }
                uint next = U32(need + 12);
                if (next == 0) break;
                need += next;
            }
        }
        return result;
    }

    /// <summary>Sets VER_FLG_WEAK on a version need: the dynamic loader then accepts the library when the
    /// dependency lacks that version, and only a call to a symbol bound to it would fail.</summary>
    public void MarkWeak(VersionNeed need)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_bytes.AsSpan((int)need.FlagsOffset), (ushort)(need.Flags | VerFlagWeak));
    }

    IEnumerable<(long Offset, int Count, long StringTable)> Sections(uint type)
    {
        long shoff = (long)U64(0x28);
        int shentsize = U16(0x3A), shnum = U16(0x3C);
        if (shoff == 0 || shnum == 0 || shoff + (long)shentsize * shnum > _bytes.Length)
            throw new InvalidDataException($"{_path}: no readable section headers");
        for (int i = 0; i < shnum; i++)
        {
            long sh = shoff + (long)i * shentsize;
            if (U32(sh + 4) != type) continue;
            long offset = (long)U64(sh + 0x18);
            uint link = U32(sh + 0x28);
            int info = (int)U32(sh + 0x2C);
            long strtab = (long)U64(shoff + (long)link * shentsize + 0x18);
            yield return (offset, info, strtab);
        }
    }

    ushort U16(long at) => BinaryPrimitives.ReadUInt16LittleEndian(Span(at, 2));
    uint U32(long at) => BinaryPrimitives.ReadUInt32LittleEndian(Span(at, 4));
    ulong U64(long at) => BinaryPrimitives.ReadUInt64LittleEndian(Span(at, 8));

    ReadOnlySpan<byte> Span(long at, int length)
    {
        if (at < 0 || at + length > _bytes.Length)
            throw new InvalidDataException($"{_path}: truncated ELF (offset {at} beyond {_bytes.Length} bytes)");
        return _bytes.AsSpan((int)at, length);
    }

    string CString(long at)
    {
        var rest = Span(at, 1).Length == 1 ? _bytes.AsSpan((int)at) : default;
        int end = rest.IndexOf((byte)0);
        if (end < 0) throw new InvalidDataException($"{_path}: unterminated string at offset {at}");
        return Encoding.ASCII.GetString(rest[..end]);
    }
}
