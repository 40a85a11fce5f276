using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FedPrompt.Model.Tokenization;

/// <summary>Typed reads of tokenizer and config JSON, whose errors name the file and the field.</summary>
static class JsonFields
{
    public static JsonObject ParseObject(byte[] bytes, string path)
    {
        ReadOnlySpan<byte> utf8 = bytes;
        if (utf8.StartsWith("\uFEFF"u8)) utf8 = utf8[3..];
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(utf8);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON: {e.Message}", e);
        }
        return node as JsonObject ?? throw new InvalidDataException($"{path}: not a JSON object");
    }

    /// <summary>The object at <paramref name="key"/>, or null when it is absent or JSON null.</summary>
    public static JsonObject? Object(JsonObject json, string key, string path) => json[key] switch
    {
        null => null,
        JsonObject value => value,
        _ => throw new InvalidDataException($"{path}: \"{key}\" is not an object"),
    };

    public static JsonArray? Array(JsonObject json, string key, string path) => json[key] switch
    {
        null => null,
        JsonArray value => value,
        _ => throw new InvalidDataException($"{path}: \"{key}\" is not a list"),
    };

    public static string? String(JsonObject json, string key, string path) => json[key] switch
    {
        null => null,
        JsonValue value when value.TryGetValue(out string? text) => text,
        _ => throw new InvalidDataException($"{path}: \"{key}\" is not a string"),
    };

    public static bool? Bool(JsonObject json, string key, string path) => json[key] switch
    {
        null => null,
        JsonValue value when value.TryGetValue(out bool flag) => flag,
        _ => throw new InvalidDataException($"{path}: \"{key}\" is not true or false"),
    };

    /// <summary>A token id: a whole number, not negative.</summary>
    public static int Id(JsonNode? node, string what, string path) =>
        node is JsonValue value && value.TryGetValue(out int id) && id >= 0
            ? id
            : throw new InvalidDataException($"{path}: {what} is {Describe(node)}, not a token id (a whole number, 0 or more)");

    /// <summary>A component's "type", which every tokenizer.json component names itself by.</summary>
    public static string Type(JsonObject component, string what, string path) =>
        String(component, "type", path) ?? throw new InvalidDataException($"{path}: the {what} has no \"type\"");

    /// <summary>A value as the file has it (System.Text.Json's default would write &lt; as \u003C).</summary>
    public static string Show(JsonNode? node) => node is null ? "null" : node.ToJsonString(Verbatim);

    static readonly JsonSerializerOptions Verbatim = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    static string Describe(JsonNode? node) => node is null ? "missing" : Show(node);
}
