using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using FedPrompt.Model;
using FedPrompt.Tuning.Encoders;
using FedPrompt.Tuning.Templates;

namespace FedPrompt.Tuning.Artefacts;

/// <summary>The base model a prompt encoder belongs to: its architecture and a hash of its weights.</summary>
public sealed record BaseModelIdentity(string Architecture, string Fingerprint)
{
    public static BaseModelIdentity Of(LanguageModel model) => new(model.Config.Describe(), model.Fingerprint);
}

/// <summary>What a saved prompt encoder records beside its weights: how to rebuild it, the task it
/// was trained for, and the base model it works with.</summary>
public sealed record EncoderHeader(PromptEncoderSettings Encoder, JsonObject Template, IReadOnlyList<string> Answers, BaseModelIdentity BaseModel)
{
    public const string MetadataKey = "fedprompt.prompt_encoder";

    public TaskTemplate TaskTemplate(string origin) => Templates.TaskTemplate.FromJson(Template, $"{origin} (template)");

    static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = false,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Options);

    public static EncoderHeader FromJson(string json, string origin)
    {
        try
        {
            return JsonSerializer.Deserialize<EncoderHeader>(json, Options) ?? throw new JsonException("empty header");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{origin}: the prompt-encoder header is not valid: {e.Message}", e);
        }
    }
}
