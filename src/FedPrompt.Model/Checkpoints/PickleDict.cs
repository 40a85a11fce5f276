namespace FedPrompt.Model.Checkpoints;

/// <summary>A pickled dict or OrderedDict, in insertion order. Keys are any pickled value (None included),
/// compared as .NET compares them: strings and integers by value, other objects by identity.</summary>
internal sealed class PickleDict
{
    private readonly List<KeyValuePair<object?, object?>> entries = [];
    private readonly Dictionary<object, int> indexOfKey = [];
    private int? indexOfNone;

    public IReadOnlyList<KeyValuePair<object?, object?>> Entries => entries;

    public void Set(object? key, object? value)
    {
        var index = key is null ? indexOfNone : indexOfKey.TryGetValue(key, out var found) ? found : null;
        if (index is { } existing)
        {
            entries[existing] = new(key, value);
            return;
        }
        if (key is null)
            indexOfNone = entries.Count;
        else
            indexOfKey[key] = entries.Count;
        entries.Add(new(key, value));
    }

    public bool TryGetValue(string key, out object? value)
    {
        var found = indexOfKey.TryGetValue(key, out var index);
        value = found ? entries[index].Value : null;
        return found;
    }
}
