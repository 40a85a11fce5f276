using System.Globalization;
using System.Text;

namespace FedPrompt.Formats.Checkpoints;

/// <summary>
/// Builds JSON text exactly as Python's <c>json.dumps(value, sort_keys=True, separators=(",", ":"),
/// ensure_ascii=False)</c> does, so a safetensors header written here is byte-identical to one written by
/// a Python tool following the same rules (tools/make_checkpoint_fixtures.py checks this).
/// </summary>
internal static class PythonJson
{
    /// <summary>An object whose members are already JSON text, emitted in Python's key order.</summary>
    public static string Object(IEnumerable<(string Key, string Json)> members) =>
        "{" + string.Join(",", members.OrderBy(m => m.Key, CodePointOrder.Instance).Select(m => String(m.Key) + ":" + m.Json)) + "}";

    public static string Array(IEnumerable<long> numbers) =>
        "[" + string.Join(",", numbers.Select(n => n.ToString(CultureInfo.InvariantCulture))) + "]";

    /// <summary>Python escapes only the quote, the backslash and control characters; everything else,
    /// non-ASCII included, stays as it is (ensure_ascii=False).</summary>
    public static string String(string text)
    {
        var json = new StringBuilder(text.Length + 2).Append('"');
        foreach (var c in text)
        {
            _ = c switch
            {
                '"' => json.Append("\\\""),
                '\\' => json.Append("\\\\"),
                '\n' => json.Append("\\n"),
                '\r' => json.Append("\\r"),
                '\t' => json.Append("\\t"),
                '\b' => json.Append("\\b"),
                '\f' => json.Append("\\f"),
                < ' ' => json.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)),
                _ => json.Append(c),
            };
        }
        return json.Append('"').ToString();
    }

    /// <summary>Python sorts str keys by code point; UTF-16 ordinal order differs from that for
    /// characters above U+E000 against surrogate pairs.</summary>
    private sealed class CodePointOrder : IComparer<string>
    {
        public static readonly CodePointOrder Instance = new();

        public int Compare(string? x, string? y)
        {
            var left = (x ?? "").EnumerateRunes();
            var right = (y ?? "").EnumerateRunes();
            while (true)
            {
                var hasLeft = left.MoveNext();
                var hasRight = right.MoveNext();
                if (!hasLeft || !hasRight) return hasLeft.CompareTo(hasRight);
                var order = left.Current.Value.CompareTo(right.Current.Value);
                if (order != 0) return order;
            }
        }
    }
}
