using System.Text.Json;
using System.Text.Json.Serialization;

namespace FedPrompt.Formats.Settings;

/// <summary>A <see cref="Precision"/> as the words users write ("auto", "bf16", "fp32"), with an error that lists them.</summary>
public sealed class PrecisionJsonConverter : JsonConverter<Precision>
{
    public override Precision Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String) throw new JsonException($"precision must be a string: {Precisions.Choices}");
        try
        {
            return Precisions.Parse(reader.GetString()!, "precision");
        }
        catch (FormatException e)
        {
            throw new JsonException(e.Message, e);
        }
    }

    public override void Write(Utf8JsonWriter writer, Precision value, JsonSerializerOptions options) => writer.WriteStringValue(value.Name());
}
