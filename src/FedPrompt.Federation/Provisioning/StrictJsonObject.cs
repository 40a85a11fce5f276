using System.Text.Json;

namespace FedPrompt.Federation.Provisioning;

/// <summary>
/// A JSON object read from a file that must have exactly the expected keys with the expected types;
/// every problem is an <see cref="InvalidDataException"/> naming the file and the key's full path
/// (e.g. <c>server.port</c>), because a typo in a hand-written config should fail loudly, not be ignored.
/// </summary>
sealed class StrictJsonObject
{
    static readonly JsonDocumentOptions ParseOptions = new() { AllowDuplicateProperties = false };

    readonly JsonElement _element;
    readonly string _file;
    readonly string _path;

    StrictJsonObject(JsonElement element, string file, string path, IReadOnlyCollection<string> allowedKeys)
    {
        _element = element;
        _file = file;
        _path = path;
        foreach (var property in element.EnumerateObject())
        {
            if (!allowedKeys.Contains(property.Name))
                throw Error(property.Name, $"is not a known key (expected {string.Join(", ", allowedKeys)})");
        }
    }

    public static StrictJsonObject Load(string file, params IReadOnlyCollection<string> allowedKeys)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(file), ParseOptions);
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{file}: not valid JSON: {e.Message}", e);
        }
        if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{file}: must hold a JSON object");
        return new StrictJsonObject(root, file, "", allowedKeys);
    }

    public string String(string key)
    {
        var value = Required(key);
        return value.ValueKind == JsonValueKind.String ? value.GetString()! : throw WrongType(key, "a string", value);
    }

    public int Int32(string key) => Int32Of(key, Required(key));

    public int OptionalInt32(string key, int fallback) =>
        _element.TryGetProperty(key, out var value) ? Int32Of(key, value) : fallback;

    int Int32Of(string key, JsonElement value) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int number) ? number : throw WrongType(key, "an integer", value);

    public StrictJsonObject Object(string key, params IReadOnlyCollection<string> allowedKeys)
    {
        var value = Required(key);
        return value.ValueKind == JsonValueKind.Object
            ? new StrictJsonObject(value, _file, Qualify(key), allowedKeys)
            : throw WrongType(key, "an object", value);
    }

    public IReadOnlyList<string> Strings(string key) => StringsOf(key, Required(key));

    public IReadOnlyList<string>? OptionalStrings(string key) =>
        _element.TryGetProperty(key, out var value) ? StringsOf(key, value) : null;

    /// <summary>A problem with the value at <paramref name="key"/>, which may be a path below this object
    /// such as <c>sites[2]</c>.</summary>
    public InvalidDataException Error(string key, string problem) =>
        new($"{_file}: \"{Qualify(key)}\" {problem}");

    IReadOnlyList<string> StringsOf(string key, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array) throw WrongType(key, "an array of strings", value);
        var strings = new List<string>();
        foreach (var item in value.EnumerateArray())
        {
            string itemKey = $"{key}[{strings.Count}]";
            strings.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : throw WrongType(itemKey, "a string", item));
        }
        return strings;
    }

    JsonElement Required(string key) =>
        _element.TryGetProperty(key, out var value) ? value : throw Error(key, "is required but missing");

    InvalidDataException WrongType(string key, string expected, JsonElement found) =>
        Error(key, $"must be {expected}, found {found.GetRawText()}");

    string Qualify(string key) => _path.Length == 0 ? key : $"{_path}.{key}";
}
