using System.Text;

namespace FedPrompt.Model.Tokenization;

/// <summary>
/// GPT-2's byte → character table, in which byte-level BPE vocabularies spell their tokens:
/// printable Latin-1 bytes stand for themselves, the others (controls, space, 0x7F-0xA0, soft
/// hyphen) move to U+0100 and up, so a space is 'Ġ' and a newline 'Ċ'.
/// </summary>
static class ByteLevelAlphabet
{
    static readonly char[] CharOfByte = Build();

    /// <summary>The text's UTF-8 bytes spelled in the alphabet, as its vocabulary entry would be.</summary>
    public static string Spell(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return string.Create(bytes.Length, bytes, (chars, source) =>
        {
            for (int i = 0; i < source.Length; i++) chars[i] = CharOfByte[source[i]];
        });
    }

    /// <summary>The character that spells one byte.</summary>
    public static char Of(byte b) => CharOfByte[b];

    static char[] Build()
    {
        var table = new char[256];
        int shifted = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            table[b] = printable ? (char)b : (char)(256 + shifted++);
        }
        return table;
    }
}
