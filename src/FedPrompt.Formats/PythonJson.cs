using System.Text;

namespace FedPrompt.Formats;

/// <summary>
/// JSON text exactly as a given Python writer produces it, so that our files are byte-identical to
/// those of the reference scripts and tools. The writers differ in separators, key order and what
/// they escape ('/', DEL, every non-ASCII UTF-16 code unit as a lowercase <c>\uXXXX</c>, so that
/// characters above the BMP become surrogate pairs); each preset names the call it matches.
/// </summary>
public sealed class PythonJson
{
    readonly string _itemSeparator;
    readonly string _keySeparator;
    readonly bool _sortKeys;
    readonly bool _ensureAscii;
    readonly bool _escapeSolidus;
    readonly bool _escapeDelete;

    PythonJson(string itemSeparator, string keySeparator, bool sortKeys, bool ensureAscii, bool escapeSolidus, bool escapeDelete)
    {
        _itemSeparator = itemSeparator;
        _keySeparator = keySeparator;
        _sortKeys = sortKeys;
        _ensureAscii = ensureAscii;
        _escapeSolidus = escapeSolidus;
        _escapeDelete = escapeDelete;
    }

    /// <summary>Python's <c>json.dumps(obj)</c> with default arguments: ", " and ": " separators, keys in
    /// the given order, <c>ensure_ascii=True</c>; DEL (U+007F) is escaped because only ' '..'~' pass through.</summary>
    public static PythonJson JsonDumps { get; } = new(", ", ": ", sortKeys: false, ensureAscii: true, escapeSolidus: false, escapeDelete: true);

    /// <summary>One line of pandas' <c>DataFrame.to_json(orient="records", lines=True)</c> for string columns
    /// (its bundled ultrajson): no spaces, '/' written as "\/", non-ASCII escaped, DEL left as is.</summary>
    public static PythonJson PandasRecords { get; } = new(",", ":", sortKeys: false, ensureAscii: true, escapeSolidus: true, escapeDelete: false);

    /// <summary>Python's <c>json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)</c>,
    /// the safetensors header of a Python tool following those rules (tools/make_checkpoint_fixtures.py
    /// checks this): keys by code point, non-ASCII as it is.</summary>
    public static PythonJson SortedCompact { get; } = new(",", ":", sortKeys: true, ensureAscii: false, escapeSolidus: false, escapeDelete: false);

    /// <summary>An object of string fields, without a line terminator.</summary>
    public string EncodeObject(IEnumerable<KeyValuePair<string, string>> fields)
    {
        var builder = new StringBuilder();
        AppendObject(builder, fields);
        return builder.ToString();
    }

    /// <summary>Appends an object of string fields, without a line terminator.</summary>
    public void AppendObject(StringBuilder builder, IEnumerable<KeyValuePair<string, string>> fields) =>
        AppendMembers(builder, fields.Select(f => (f.Key, f.Value)), AppendString);

    /// <summary>An object whose member values are already JSON text.</summary>
    public string EncodeMembers(IEnumerable<(string Key, string Json)> members)
    {
        var builder = new StringBuilder();
        AppendMembers(builder, members, (to, json) => to.Append(json));
        return builder.ToString();
    }

    public string EncodeArray(IEnumerable<long> numbers) => $"[{string.Join(_itemSeparator, numbers)}]";

    public string EncodeString(string text)
    {
        var builder = new StringBuilder(text.Length + 2);
        AppendString(builder, text);
        return builder.ToString();
    }

    void AppendMembers(StringBuilder builder, IEnumerable<(string Key, string Value)> members, Action<StringBuilder, string> appendValue)
    {
        if (_sortKeys) members = members.OrderBy(m => m.Key, CodePointOrder.Instance);
        builder.Append('{');
        var first = true;
        foreach (var (key, value) in members)
        {
            if (!first) builder.Append(_itemSeparator);
            first = false;
            AppendString(builder, key);
            builder.Append(_keySeparator);
            appendValue(builder, value);
        }
        builder.Append('}');
    }

    void AppendString(StringBuilder builder, string text)
    {
        builder.Append('"');
        foreach (var c in text)
        {
            _ = c switch
            {
                '"' => builder.Append("\\\""),
                '\\' => builder.Append("\\\\"),
                '\b' => builder.Append("\\b"),
                '\f' => builder.Append("\\f"),
                '\n' => builder.Append("\\n"),
                '\r' => builder.Append("\\r"),
                '\t' => builder.Append("\\t"),
                '/' when _escapeSolidus => builder.Append("\\/"),
                '\u007f' when _escapeDelete => AppendEscape(builder, c),
                < ' ' => AppendEscape(builder, c),
                > '\u007f' when _ensureAscii => AppendEscape(builder, c),
                _ => builder.Append(c),
            };
        }
        builder.Append('"');
    }

    static StringBuilder AppendEscape(StringBuilder builder, char c) => builder.Append($"\\u{(int)c:x4}");

    /// <summary>Python sorts str keys by code point; UTF-16 ordinal order differs from that for
    /// characters above U+E000 against surrogate pairs.</summary>
    sealed class CodePointOrder : IComparer<string>
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
