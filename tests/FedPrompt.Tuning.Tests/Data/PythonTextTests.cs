using FedPrompt.Tuning.Data;

namespace FedPrompt.Tuning.Tests.Data;

public sealed class PythonTextTests
{
    [Fact]
    public void WhitespaceIsExactlyPythons()
    {
        // [hex(i) for i in range(0x110000) if chr(i).isspace()], all in the BMP
        int[] python = [0x9, 0xa, 0xb, 0xc, 0xd, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003,
            0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000];

        Assert.Equal(python, Enumerable.Range(0, 0x10000).Where(c => PythonText.IsWhitespace((char)c)));
    }

    [Theory]
    [InlineData("  text \r\n", "text")]
    [InlineData("\u001c\u00a0text\u0085\u001f", "text")]
    [InlineData("\u200b zero-width space is not whitespace \u180e", "\u200b zero-width space is not whitespace \u180e")]
    [InlineData(" \t\n ", "")]
    public void StripRemovesPythonWhitespaceAtBothEnds(string text, string expected)
    {
        Assert.Equal(expected, PythonText.Strip(text));
    }

    [Fact]
    public void ReadLinesEndsLinesAtCrLfCrAndLfAsUniversalNewlines()
    {
        Assert.Equal(["a\n", "b\n", "c\n", "\n", "d\u0085e\u2028f"], PythonText.ReadLines("a\r\nb\rc\n\nd\u0085e\u2028f"));
    }

    [Fact]
    public void ReadLinesGivesNoEmptyLastLine()
    {
        Assert.Equal(["a\n"], PythonText.ReadLines("a\r\n"));
        Assert.Empty(PythonText.ReadLines(""));
    }
}
