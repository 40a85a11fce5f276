using System.Text;
using System.Text.Json;

namespace FedPrompt.Tuning.Data;

/// <summary>
/// Reads JSON Lines files of flat string records (the format of the prepared and split data).
/// Like pandas' <c>read_json(lines=True)</c>, it ignores blank lines, surrounding whitespace and
/// "\r\n" endings; unlike it, it refuses anything that is not an object of distinct string
/// fields, naming the file and line.
/// </summary>
public static class JsonlReader
{
    private static readonly Encoding StrictUtf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <exception cref="DataFormatException">A line is not such a record.</exception>
    public static IReadOnlyList<JsonlRecord> ReadAll(string path)
    {
        byte[] content = File.ReadAllBytes(path);
        ReadOnlySpan<byte> remaining = content;
        // A byte order mark is no part of the first record, and editors on Windows like to add one.
        if (remaining.StartsWith(Encoding.UTF8.Preamble))
        {
            remaining = remaining[Encoding.UTF8.Preamble.Length..];
        }

        var records = new List<JsonlRecord>();
        int lineNumber = 0;
        while (!remaining.IsEmpty)
        {
            lineNumber++;
            int end = remaining.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = end < 0 ? remaining : remaining[..end];
            remaining = end < 0 ? [] : remaining[(end + 1)..];
            string text = PythonText.Strip(DecodeLine(path, lineNumber, line));
            if (text.Length > 0)
            {
                records.Add(ParseRecord(path, lineNumber, text));
            }
        }

        return records;
    }

    private static string DecodeLine(string path, int lineNumber, ReadOnlySpan<byte> line)
    {
        try
        {
            return StrictUtf8.GetString(line);
        }
        catch (DecoderFallbackException exception)
        {
            throw new DataFormatException(path, lineNumber, "not valid UTF-8", exception);
        }
    }

    private static JsonlRecord ParseRecord(string path, int lineNumber, string text)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException exception)
        {
            throw new DataFormatException(path, lineNumber, $"not valid JSON ({exception.Message})", exception);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new DataFormatException(path, lineNumber, $"a record must be a JSON object, found {Describe(root.ValueKind)}");
            }

            var fields = new List<KeyValuePair<string, string>>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonProperty property in root.EnumerateObject())
            {
                string name = property.Name;
                if (!names.Add(name))
                {
                    throw new DataFormatException(path, lineNumber, $"field \"{name}\" occurs twice");
                }

                if (property.Value.ValueKind != JsonValueKind.String)
                {
                    throw new DataFormatException(path, lineNumber, $"field \"{name}\" is {Describe(property.Value.ValueKind)}, not a string");
                }

                fields.Add(new(name, ReadString(path, lineNumber, name, property.Value)));
            }

            return new JsonlRecord(fields, lineNumber);
        }
    }

    private static string ReadString(string path, int lineNumber, string name, JsonElement value)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException exception)
        {
            // System.Text.Json refuses escapes that make lone surrogates, which no UTF-8 writer could store.
            throw new DataFormatException(path, lineNumber, $"field \"{name}\" is not valid Unicode text ({exception.Message})", exception);
        }
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString(),
    };
}
