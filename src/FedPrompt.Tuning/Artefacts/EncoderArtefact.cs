using FedPrompt.Formats.Artefacts;
using FedPrompt.Formats.Checkpoints;
using FedPrompt.Formats.Settings;
using FedPrompt.Model;
using FedPrompt.Tuning.Encoders;
using static TorchSharp.torch;

namespace FedPrompt.Tuning.Artefacts;

/// <summary>A prompt encoder, loaded and checked against its base model, with its task.</summary>
public sealed record LoadedEncoder(PromptEncoder Encoder, TaskTemplate Template, IReadOnlyList<string> Answers, EncoderHeader Header);

/// <summary>
/// A trained prompt encoder on disk: one safetensors file of its parameters whose metadata holds the
/// <see cref="EncoderHeader"/>. The same bytes travel between federated sites and the server.
/// </summary>
public static class EncoderArtefact
{
    public static void Save(string path, PromptEncoder encoder, TaskTemplate template, IReadOnlyList<string> answers, LanguageModel baseModel)
    {
        var header = new EncoderHeader(encoder.Settings, template.ToJson(), answers, baseModel.Identity);
        SafeTensorsWriter.WriteFile(path, EncoderWeights.Entries(encoder), new Dictionary<string, string> { [EncoderHeader.MetadataKey] = header.ToJson() });
    }

    /// <summary>Rebuilds the encoder for <paramref name="baseModel"/>; refuses one saved for another model.
    /// A PEFT LoRA folder is read too; one that FedPrompt did not write is for <paramref name="foreignTask"/>
    /// (by default the Financial PhraseBank task's).</summary>
    public static LoadedEncoder Load(string path, LanguageModel baseModel, TaskTemplate? foreignTask = null)
    {
        if (PeftAdapterFolder.IsOne(path)) return PeftAdapterFolder.Read(path, baseModel, foreignTask ?? TaskTemplate.FinancialPhraseBank);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: prompt encoder not found", path);
        using var file = SafeTensorsFile.Open(path);
        var header = Header(file, path);
        header.RequireBaseModel(baseModel.Identity, path, "prompt encoder");
        var template = header.TaskTemplate(path);
        var encoder = PromptEncoder.Create(header.Encoder, baseModel);
        EncoderWeights.Load(encoder, file, path);
        return new LoadedEncoder(encoder, template, header.Answers, header);
    }

    static EncoderHeader Header(SafeTensorsFile file, string path) =>
        file.Metadata.TryGetValue(EncoderHeader.MetadataKey, out var json)
            ? EncoderHeader.FromJson(json, path)
            : throw new InvalidDataException($"{path}: not a FedPrompt prompt encoder (no {EncoderHeader.MetadataKey} metadata)");
}
