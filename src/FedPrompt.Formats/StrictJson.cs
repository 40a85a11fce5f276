using System.Text.Json;
using System.Text.Json.Serialization;

namespace FedPrompt.Formats;

/// <summary>
/// Hand-written JSON files (job folders, tuning settings, project.json, kit.json) are strict: snake_case
/// keys; an unknown key, a key given twice, a missing required key, a null where none is allowed or a
/// value of the wrong kind is an <see cref="InvalidDataException"/> naming the file and the key, in
/// <see cref="JsonProblem"/>'s words, because a typo in a config must fail loudly, not be ignored.
/// </summary>
public static class StrictJson
{
    /// <summary>For reading such files, and for writing them so they read back.</summary>
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        AllowDuplicateProperties = false,
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <param name="invalid">What the message calls a file that is JSON but not the expected one, e.g. "invalid settings".</param>
    public static T Parse<T>(string json, string origin, string invalid = "invalid")
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, Options) ?? throw new JsonException("the file is empty (null)");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{origin}: {(JsonProblem.IsMalformed(e) ? "not valid JSON" : invalid)}{JsonProblem.Describe(e)}", e);
        }
    }

    public static T Load<T>(string path, string invalid = "invalid")
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: not found", path);
        return Parse<T>(File.ReadAllText(path), path, invalid);
    }
}
