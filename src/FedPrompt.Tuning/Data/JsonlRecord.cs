namespace FedPrompt.Tuning.Data;

/// <summary>
/// One JSON Lines record: an object whose values are all strings, with its fields kept in the
/// order they were written (the writers reproduce that order).
/// </summary>
public sealed class JsonlRecord
{
    private readonly KeyValuePair<string, string>[] _fields;

    /// <param name="fields">Field names must be distinct.</param>
    /// <param name="lineNumber">1-based line the record was read from, when it was read from a file.</param>
    public JsonlRecord(IEnumerable<KeyValuePair<string, string>> fields, int? lineNumber = null)
    {
        _fields = fields.ToArray();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, _) in _fields)
        {
            if (!names.Add(name))
            {
                throw new ArgumentException($"Field \"{name}\" occurs twice.", nameof(fields));
            }
        }

        LineNumber = lineNumber;
    }

    /// <summary>The fields in their original order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Fields => _fields;

    /// <summary>1-based line of the file the record was read from, or null for a record made in memory.</summary>
    public int? LineNumber { get; }

    /// <summary>The value of a field; throws <see cref="KeyNotFoundException"/> naming it if absent.</summary>
    public string this[string name] =>
        TryGetValue(name, out string? value)
            ? value
            : throw new KeyNotFoundException($"The record has no field \"{name}\".");

    public bool TryGetValue(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
    {
        foreach (var (fieldName, fieldValue) in _fields)
        {
            if (string.Equals(fieldName, name, StringComparison.Ordinal))
            {
                value = fieldValue;
                return true;
            }
        }

        value = null;
        return false;
    }
}
