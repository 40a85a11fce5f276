using System.Collections;

namespace FedPrompt.Formats;

/// <summary>What a value of a .NET type looks like in JSON, for error messages read by whoever wrote
/// the file: "a number", "a list of whole numbers" (never "Nullable`1" or "Int32").</summary>
public static class JsonKind
{
    public static string Of(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type.IsEnum) return "one of " + string.Join(", ", Enum.GetNames(type).Select(n => $"\"{n.ToLowerInvariant()}\""));
        if (type == typeof(string)) return "a string";
        if (type == typeof(bool)) return "true or false";
        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal)) return "a number";
        if (type == typeof(int) || type == typeof(long) || type == typeof(uint) || type == typeof(short)) return "a whole number";
        if (type.IsArray) return $"a list of {Plural(Of(type.GetElementType()!))}";
        if (type.IsGenericType && typeof(IEnumerable).IsAssignableFrom(type) && type.GetGenericArguments() is [var element])
            return $"a list of {Plural(Of(element))}";
        return "an object";
    }

    static string Plural(string kind) => kind switch
    {
        "a string" => "strings",
        "a number" => "numbers",
        "a whole number" => "whole numbers",
        _ => "values",
    };
}
