using System.Text;

namespace FedPrompt.Model.Pretraining;

/// <summary>
/// A UTF-8 text file of documents separated by blank lines (empty or only white space). A document
/// keeps its line breaks, as "\n" whatever the file used; the blank lines between documents are
/// not part of either.
/// </summary>
public static class PlainTextCorpus
{
    static readonly Encoding StrictUtf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The file's documents in order, read as they are asked for, so a large file is never whole in memory.</summary>
    public static IEnumerable<string> Documents(string file)
    {
        if (!File.Exists(file)) throw new FileNotFoundException($"{file}: text file not found", file);
        return Read(file);
    }

    static IEnumerable<string> Read(string file)
    {
        using var reader = new StreamReader(file, StrictUtf8, detectEncodingFromByteOrderMarks: false);
        var lines = new List<string>();
        for (int number = 1; ; number++)
        {
            var line = NextLine(reader, file, number);
            if (line is not null && !string.IsNullOrWhiteSpace(line))
            {
                lines.Add(line);
                continue;
            }
            if (lines.Count > 0) yield return string.Join('\n', lines);
            lines.Clear();
            if (line is null) yield break;
        }
    }

    static string? NextLine(StreamReader reader, string file, int number)
    {
        try
        {
            var line = reader.ReadLine();
            // A byte order mark is no part of the text.
            return number == 1 && line is not null && line.StartsWith('\uFEFF') ? line[1..] : line;
        }
        catch (DecoderFallbackException e)
        {
            // The reader decodes a block at a time, so the bad bytes are at this line or a little after it.
            throw new InvalidDataException($"{file}: not UTF-8 text (from line {number} on): {e.Message}", e);
        }
    }
}
