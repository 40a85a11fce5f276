namespace FedPrompt.Tuning.Data;

/// <summary>
/// Python's rules for splitting and stripping text, which differ from .NET's: <c>str.strip()</c>
/// also removes the information separators U+001C–U+001F, and text-mode <c>readlines()</c> ends
/// a line at a lone carriage return too.
/// </summary>
public static class PythonText
{
    /// <summary><c>str.isspace()</c> for one UTF-16 code unit (Python's whitespace is all in the BMP).</summary>
    public static bool IsWhitespace(char c) => c switch
    {
        >= '\t' and <= '\r' => true,
        >= '\u001c' and <= ' ' => true,
        '\u0085' or '\u00a0' or '\u1680' => true,
        >= '\u2000' and <= '\u200a' => true,
        '\u2028' or '\u2029' or '\u202f' or '\u205f' or '\u3000' => true,
        _ => false,
    };

    /// <summary><c>str.strip()</c> with no argument.</summary>
    public static string Strip(string text)
    {
        int start = 0;
        int end = text.Length;
        while (start < end && IsWhitespace(text[start]))
        {
            start++;
        }

        while (end > start && IsWhitespace(text[end - 1]))
        {
            end--;
        }

        return text[start..end];
    }

    /// <summary>
    /// <c>readlines()</c> of a file opened in text mode with universal newlines: "\r\n", "\r" and
    /// "\n" each end a line and come back as "\n"; the last line may lack one; no empty tail.
    /// </summary>
    public static List<string> ReadLines(string text)
    {
        var lines = new List<string>();
        int start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c != '\n' && c != '\r')
            {
                continue;
            }

            lines.Add(string.Concat(text.AsSpan(start, i - start), "\n"));
            if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                i++;
            }

            start = i + 1;
        }

        if (start < text.Length)
        {
            lines.Add(text[start..]);
        }

        return lines;
    }
}
