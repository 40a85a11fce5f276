using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace FedPrompt.Formats.Settings;

/// <summary>Reads and writes a <see cref="TaskTemplate"/> in NeMo's key names inside larger JSON documents.</summary>
public sealed class TaskTemplateJsonConverter : JsonConverter<TaskTemplate>
{
    public override TaskTemplate Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var node = JsonNode.Parse(ref reader) as JsonObject ?? throw new JsonException("a task template must be a JSON object");
        try
        {
            return TaskTemplate.FromJson(node, "task template");
        }
        catch (InvalidDataException e)
        {
            throw new JsonException(e.Message, e);
        }
    }

    public override void Write(Utf8JsonWriter writer, TaskTemplate value, JsonSerializerOptions options) =>
        value.ToJson().WriteTo(writer, options);
}
