namespace FedPrompt.Model.Checkpoints;

/// <summary>A pickled dict or OrderedDict, in insertion order. Keys are any pickled value (None included),
/// compared as .NET compares them: strings and integers by value, other objects by identity.</summary>
internal sealed class PickleDict
{
    private readonly List<KeyValuePair<object?, object?>> _entries = [];
    private readonly Dictionary<object, int> _indexOfKey = [];
    private int? _indexOfNone;

    public IReadOnlyList<KeyValuePair<object?, object?>> Entries => _entries;

    public void Set(object? key, object? value)
    {
        var index = key is null ? _indexOfNone : _indexOfKey.TryGetValue(key, out var found) ? found : null;
        if (index is { } existing)
        {
            _entries[existing] = new(key, value);
            return;
        }
        if (key is null)
            _indexOfNone = _entries.Count;
        else
            _indexOfKey[key] = _entries.Count;
        _entries.Add(new(key, value));
    }

    public bool TryGetValue(string key, out object? value)
    {
        var found = _indexOfKey.TryGetValue(key, out var index);
        value = found ? _entries[index].Value : null;
        return found;
    }
}
