using System.Text.Json;
using System.Text.Json.Serialization;

namespace FedPrompt.Cli;

/// <summary>What --json prints: one object on one line of stdout, snake_case keys, and null (not NaN)
/// where a value does not exist yet.</summary>
public static class ScriptJson
{
    static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static void Write(object value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, Options));

    /// <summary>The wire's NaN for "none yet" as JSON's null.</summary>
    public static double? Value(double value) => double.IsNaN(value) ? null : value;
}
