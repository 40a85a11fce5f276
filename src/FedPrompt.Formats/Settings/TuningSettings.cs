using System.Text.Json;
using System.Text.Json.Serialization;

namespace FedPrompt.Formats.Settings;

/// <summary>
/// What a site needs to p-tune: the task template, the prompt encoder's shape, the optimisation
/// settings, local epochs, and the allowed answers (by default the answers seen in the training
/// data). A federated job shares exactly this with its sites; `fedprompt train` reads it from a file.
/// </summary>
public sealed record TuningSettings
{
    [JsonConverter(typeof(TaskTemplateJsonConverter))]
    public TaskTemplate Template { get; init; } = TaskTemplate.FinancialPhraseBank;
    public PromptEncoderSettings Encoder { get; init; } = new();
    public TrainingOptions Training { get; init; } = new();
    public int Epochs { get; init; } = 1;
    public IReadOnlyList<string>? Answers { get; init; }
    /// <summary>How the frozen model must compute for these settings; auto accepts what the model was loaded with.</summary>
    [JsonConverter(typeof(PrecisionJsonConverter))]
    public Precision Precision { get; init; } = Precision.Auto;

    public static TuningSettings Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: settings file not found", path);
        return Parse(File.ReadAllText(path), path);
    }

    public static TuningSettings Parse(string json, string origin) =>
        StrictJson.Parse<TuningSettings>(json, origin, "invalid settings").Validated(origin);

    public string ToJson() => JsonSerializer.Serialize(this, StrictJson.Options);

    public TuningSettings Validated(string origin)
    {
        try
        {
            Encoder.Validated();
            Training.Validated();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{origin}: {e.Message}", e);
        }
        if (Epochs < 0) throw new InvalidDataException($"{origin}: epochs must be ≥ 0 (got {Epochs})");
        if (Encoder.AtInput && Encoder.VirtualTokens != Template.TotalVirtualTokens)
            throw new InvalidDataException($"{origin}: the encoder has {Encoder.VirtualTokens} virtual tokens, the template total_virtual_tokens {Template.TotalVirtualTokens}");
        if (Answers is { Count: 0 }) throw new InvalidDataException($"{origin}: answers is empty");
        return this;
    }
}
