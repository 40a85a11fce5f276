using System.Text;

namespace FedPrompt.Tuning.Data;

/// <summary>
/// Writes a flat object of string fields on one line exactly as a given Python library does, so
/// that our files are byte-identical to those of the reference scripts. Both reference writers
/// escape every non-ASCII UTF-16 code unit as a lowercase <c>\uXXXX</c> (characters above the BMP
/// thus become surrogate pairs), but they differ in separators, '/' and DEL.
/// </summary>
public sealed class PythonJsonEncoder
{
    private const string HexDigits = "0123456789abcdef";

    private readonly string _itemSeparator;
    private readonly string _keySeparator;
    private readonly bool _escapeSolidus;
    private readonly bool _escapeDelete;

    private PythonJsonEncoder(string itemSeparator, string keySeparator, bool escapeSolidus, bool escapeDelete)
    {
        _itemSeparator = itemSeparator;
        _keySeparator = keySeparator;
        _escapeSolidus = escapeSolidus;
        _escapeDelete = escapeDelete;
    }

    /// <summary>
    /// Python's <c>json.dumps(obj)</c> with default arguments: ", " and ": " separators,
    /// <c>ensure_ascii=True</c>; DEL (U+007F) is escaped because only ' '..'~' pass through.
    /// </summary>
    public static PythonJsonEncoder JsonDumps { get; } = new(", ", ": ", escapeSolidus: false, escapeDelete: true);

    /// <summary>
    /// One line of pandas' <c>DataFrame.to_json(orient="records", lines=True)</c> for string columns
    /// (its bundled ultrajson): no spaces, '/' written as "\/", DEL left as is.
    /// </summary>
    public static PythonJsonEncoder PandasRecords { get; } = new(",", ":", escapeSolidus: true, escapeDelete: false);

    /// <summary>The object with its fields in the given order, without a line terminator.</summary>
    public string EncodeObject(IEnumerable<KeyValuePair<string, string>> fields)
    {
        var builder = new StringBuilder();
        AppendObject(builder, fields);
        return builder.ToString();
    }

    /// <summary>Appends the object with its fields in the given order, without a line terminator.</summary>
    public void AppendObject(StringBuilder builder, IEnumerable<KeyValuePair<string, string>> fields)
    {
        builder.Append('{');
        bool first = true;
        foreach (var (key, value) in fields)
        {
            if (!first)
            {
                builder.Append(_itemSeparator);
            }

            first = false;
            AppendString(builder, key);
            builder.Append(_keySeparator);
            AppendString(builder, value);
        }

        builder.Append('}');
    }

    private void AppendString(StringBuilder builder, string text)
    {
        builder.Append('"');
        foreach (char c in text)
        {
            switch (c)
            {
                case '"':
                    builder.Append("\\\"");
                    break;
                case '\\':
                    builder.Append("\\\\");
                    break;
                case '\b':
                    builder.Append("\\b");
                    break;
                case '\f':
                    builder.Append("\\f");
                    break;
                case '\n':
                    builder.Append("\\n");
                    break;
                case '\r':
                    builder.Append("\\r");
                    break;
                case '\t':
                    builder.Append("\\t");
                    break;
                case '/' when _escapeSolidus:
                    builder.Append("\\/");
                    break;
                case '\u007f' when _escapeDelete:
                    AppendUnicodeEscape(builder, c);
                    break;
                case < ' ' or > '\u007f':
                    AppendUnicodeEscape(builder, c);
                    break;
                default:
                    builder.Append(c);
                    break;
            }
        }

        builder.Append('"');
    }

    private static void AppendUnicodeEscape(StringBuilder builder, char c)
    {
        builder.Append("\\u")
            .Append(HexDigits[(c >> 12) & 0xf])
            .Append(HexDigits[(c >> 8) & 0xf])
            .Append(HexDigits[(c >> 4) & 0xf])
            .Append(HexDigits[c & 0xf]);
    }
}
