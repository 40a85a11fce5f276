using System.Text.Json;
using System.Text.RegularExpressions;

namespace FedPrompt.Formats;

/// <summary>
/// A JSON settings error in the words of whoever wrote the file. System.Text.Json's messages name
/// .NET types and members ("could not be converted to System.Double", "could not be mapped to any
/// .NET member contained in type …"); these say which key, on which line, expected what.
/// </summary>
public static partial class JsonProblem
{
    /// <summary>" at $.training.learning_rate (line 3): expected a number", to follow the file's name.</summary>
    public static string Describe(JsonException e)
    {
        var where = e.Path is { Length: > 1 } path ? $" at {path}" : "";
        var line = e.LineNumber is { } number ? $" (line {number + 1})" : "";
        return $"{where}{line}: {What(e.Message)}";
    }

    /// <summary>Whether the text is at fault rather than what it holds: it is not JSON, or gives a key twice
    /// (which JSON parsers resolve differently, so such a file means different things to different tools).</summary>
    public static bool IsMalformed(JsonException e) => e.InnerException is JsonException || Duplicate().IsMatch(e.Message);

    static string What(string message)
    {
        if (NotConverted().Match(message) is { Success: true } converted)
            return $"expected {(TypeNamed(converted.Groups["type"].Value) is { } type ? JsonKind.Of(type) : "another kind of value")}";
        if (UnknownMember().Match(message) is { Success: true } unknown) return $"unknown key \"{unknown.Groups["key"].Value}\"";
        if (MissingRequired().Match(message) is { Success: true } missing) return $"missing {missing.Groups["keys"].Value}";
        if (NullNotAllowed().Match(message) is { Success: true } isNull) return $"\"{isNull.Groups["key"].Value}\" may not be null";
        if (Duplicate().Match(message) is { Success: true } duplicate) return $"\"{duplicate.Groups["key"].Value}\" is given twice";
        return Position().Replace(message, "").TrimEnd();
    }

    static Type? TypeNamed(string name)
    {
        var nullable = NullableOf().Match(name);
        var bare = nullable.Success ? nullable.Groups["type"].Value : name;
        return AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(bare)).FirstOrDefault(t => t is not null);
    }

    [GeneratedRegex(@"could not be converted to (?<type>[^\s]+?)\.( Path:|$)")]
    private static partial Regex NotConverted();

    [GeneratedRegex(@"The JSON property '(?<key>[^']*)' could not be mapped")]
    private static partial Regex UnknownMember();

    [GeneratedRegex(@"missing required properties including: (?<keys>.*?)\.?( Path:|$)")]
    private static partial Regex MissingRequired();

    [GeneratedRegex(@"The property or field '(?<key>[^']*)' .* doesn't allow setting null values")]
    private static partial Regex NullNotAllowed();

    [GeneratedRegex(@"^Duplicate property '(?<key>[^']*)'")]
    private static partial Regex Duplicate();

    [GeneratedRegex(@"^System\.Nullable`1\[\[(?<type>[^,\]]+)")]
    private static partial Regex NullableOf();

    /// <summary>The " Path: $.x | LineNumber: 0 | BytePositionInLine: 14." tail, which <see cref="Describe"/> says in words.</summary>
    [GeneratedRegex(@" ?Path: .*$")]
    private static partial Regex Position();
}
