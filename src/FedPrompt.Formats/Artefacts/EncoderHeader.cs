using System.Text.Json;
using System.Text.Json.Nodes;
using FedPrompt.Formats.Settings;

namespace FedPrompt.Formats.Artefacts;

/// <summary>What a saved prompt encoder records beside its weights: how to rebuild it, the task it
/// was trained for, and the base model it works with.</summary>
public sealed record EncoderHeader(PromptEncoderSettings Encoder, JsonObject Template, IReadOnlyList<string> Answers, BaseModelIdentity BaseModel)
{
    public const string MetadataKey = "fedprompt.prompt_encoder";

    public TaskTemplate TaskTemplate(string origin) => Settings.TaskTemplate.FromJson(Template, $"{origin} (template)");

    /// <summary>Refuses <paramref name="given"/> unless it is the base model this was trained on:
    /// another architecture, or the same one with other weights.</summary>
    public void RequireBaseModel(BaseModelIdentity given, string origin, string what)
    {
        if (BaseModel.Architecture != given.Architecture)
            throw new InvalidDataException($"{origin}: this {what} was trained on a different base model ({BaseModel.Architecture}); the model given is {given.Architecture}");
        if (BaseModel.Fingerprint != given.Fingerprint)
            throw new InvalidDataException($"{origin}: this {what} was trained on a base model with different weights (fingerprint {BaseModel.Fingerprint[..12]}…, the model given has {given.Fingerprint[..12]}…)");
    }

    public string ToJson() => JsonSerializer.Serialize(this, SnakeCaseJson.Compact);

    public static EncoderHeader FromJson(string json, string origin)
    {
        try
        {
            return JsonSerializer.Deserialize<EncoderHeader>(json, SnakeCaseJson.Compact) ?? throw new JsonException("empty header");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{origin}: the prompt-encoder header is not valid: {e.Message}", e);
        }
    }
}
