using System.Text.Json;
using System.Text.Json.Serialization;
using FedPrompt.Formats;

namespace FedPrompt.Federation.Jobs;

/// <summary>Job files are strict JSON: snake_case keys, unknown keys and wrong types are errors that name the file and key.</summary>
public static class JobJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
    };

    public static T Parse<T>(string json, string origin)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, Options) ?? throw new JsonException("the file is empty (null)");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{origin}: invalid{JsonProblem.Describe(e)}", e);
        }
    }

    public static T Load<T>(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: not found", path);
        return Parse<T>(File.ReadAllText(path), path);
    }
}
