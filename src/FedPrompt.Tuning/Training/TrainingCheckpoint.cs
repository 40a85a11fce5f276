using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FedPrompt.Formats;
using FedPrompt.Formats.Artefacts;
using FedPrompt.Formats.Checkpoints;
using FedPrompt.Formats.Settings;
using FedPrompt.Tuning.Artefacts;
using FedPrompt.Tuning.Templates;
using TorchSharp;
using static TorchSharp.torch;
using AdamWState = TorchSharp.Modules.AdamW.State;

namespace FedPrompt.Tuning.Training;

/// <summary>What a local run has produced so far: its epochs' metrics and the best of them (none before the first epoch ends).</summary>
public sealed record LocalRunState(IReadOnlyList<EpochMetrics> History, int BestEpoch, double? BestValidationLoss)
{
    public static readonly LocalRunState Empty = new([], 0, null);
}

/// <summary>
/// Everything an interrupted local run needs to go on exactly as if it had not stopped, in one
/// safetensors file replaced atomically: the encoder, AdamW's moments and step counts, the
/// encoder's generator (LoRA dropout draws from it) and libtorch's process-wide one (LSTM dropout
/// draws from that: TorchSharp's LSTM takes no generator), the trainer's position (schedule step, epoch and how far
/// into it; the epoch's shuffle follows from the seed), and the metrics so far. It also records what
/// the run was — settings, base model, precision, data — so that a resume which would quietly become
/// another run is refused, naming what differs. The epoch count is not part of that: a resumed run
/// may be given more epochs (max_steps still ends it) or fewer.
/// </summary>
public static class TrainingCheckpoint
{
    const string MetadataKey = "fedprompt.training_checkpoint";
    const string EncoderPrefix = "encoder.";
    const string FirstMomentPrefix = "adamw.exp_avg.";
    const string SecondMomentPrefix = "adamw.exp_avg_sq.";
    const string GeneratorEntry = "torch_generator_state";
    const string EncoderGeneratorEntry = "encoder_generator_state";

    sealed record Header(JsonObject Settings, BaseModelIdentity BaseModel, string Precision, string TrainData, string ValidationData,
        TrainerPosition Position, long[] OptimizerSteps, IReadOnlyList<EpochMetrics> History, int BestEpoch, double? BestValidationLoss);

    public static void Save(string path, TuningSession session, LocalRunState run)
    {
        var encoder = session.Model.Encoder;
        var states = AdamWStates(session);
        var header = new Header(SettingsOf(session), session.Model.Base.Identity, session.Model.Base.Precision.Name(),
            Fingerprint(session.Train), Fingerprint(session.Validation), session.Trainer.Position,
            states.Select(s => s.State.step).ToArray(), run.History, run.BestEpoch, run.BestValidationLoss);
        using var generator = get_rng_state();
        using var encoderGenerator = encoder.Random.get_state();
        var entries = EncoderWeights.Entries(encoder, EncoderPrefix)
            .Concat(EncoderWeights.Entries(states.Select(s => (s.Name, s.State.exp_avg)), FirstMomentPrefix))
            .Concat(EncoderWeights.Entries(states.Select(s => (s.Name, s.State.exp_avg_sq)), SecondMomentPrefix))
            .Append(GeneratorState(GeneratorEntry, generator))
            .Append(GeneratorState(EncoderGeneratorEntry, encoderGenerator))
            .ToList();
        SafeTensorsWriter.WriteFile(path, entries, new Dictionary<string, string> { [MetadataKey] = JsonSerializer.Serialize(header, SnakeCaseJson.Compact) });
    }

    /// <summary>Puts the session's encoder, optimizer and trainer where the checkpoint left them;
    /// refuses a session that differs from the checkpointed run in anything that changes the result.</summary>
    public static LocalRunState Restore(string path, TuningSession session)
    {
        using var file = SafeTensorsFile.Open(path);
        var header = ReadHeader(file, path);
        if (Difference(header, session) is { } difference)
            throw new InvalidDataException($"{path}: cannot resume: {difference}");
        var states = AdamWStates(session);
        if (header.OptimizerSteps.Length != states.Count)
            throw new InvalidDataException($"{path}: the optimizer state covers {header.OptimizerSteps.Length} parameters, the encoder has {states.Count}");
        using var generator = GeneratorState(file, GeneratorEntry, path);
        using var encoderGenerator = GeneratorState(file, EncoderGeneratorEntry, path);

        var what = $"the {session.Settings.Encoder.Type.ToString().ToLowerInvariant()} prompt encoder";
        EncoderWeights.Load(session.Model.Encoder, file, path, EncoderPrefix);
        EncoderWeights.Load(states.ToDictionary(s => s.Name, s => s.State.exp_avg), file, FirstMomentPrefix, path, $"AdamW's first moments of {what}");
        EncoderWeights.Load(states.ToDictionary(s => s.Name, s => s.State.exp_avg_sq), file, SecondMomentPrefix, path, $"AdamW's second moments of {what}");
        for (int i = 0; i < states.Count; i++) states[i].State.step = header.OptimizerSteps[i];
        set_rng_state(generator);
        session.Model.Encoder.Random.set_state(encoderGenerator);
        session.Trainer.MoveTo(header.Position);
        return new LocalRunState(header.History, header.BestEpoch, header.BestValidationLoss);
    }

    static SafeTensorsEntry GeneratorState(string name, Tensor state) =>
        new(name, StoredDType.U8, state.shape, stream => stream.Write(state.bytes));

    static Tensor GeneratorState(SafeTensorsFile file, string name, string path)
    {
        if (!file.Tensors.TryGetValue(name, out var stored) || stored.DType != StoredDType.U8 || stored.Shape.Length != 1)
            throw new InvalidDataException($"{path}: no {name} U8[n] tensor");
        var state = empty(stored.Shape, ScalarType.Byte);
        stored.ReadInto(state.bytes);
        return state;
    }

    static Header ReadHeader(SafeTensorsFile file, string path)
    {
        if (!file.Metadata.TryGetValue(MetadataKey, out var json))
            throw new InvalidDataException($"{path}: not a FedPrompt training checkpoint (no {MetadataKey} metadata)");
        try
        {
            return JsonSerializer.Deserialize<Header>(json, SnakeCaseJson.Compact) ?? throw new JsonException("empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: the checkpoint's header is not valid{JsonProblem.Describe(e)}", e);
        }
    }

    /// <summary>What makes the session another run than the checkpointed one, or null if nothing does.</summary>
    static string? Difference(Header was, TuningSession now)
    {
        var model = now.Model.Base.Identity;
        if (was.BaseModel != model)
            return $"the interrupted run trained on another base model ({was.BaseModel.Architecture}, fingerprint {Short(was.BaseModel.Fingerprint)}; this one is {model.Architecture}, {Short(model.Fingerprint)})";
        var precision = now.Model.Base.Precision.Name();
        if (was.Precision != precision)
            return $"the interrupted run's model computed in {was.Precision}, this one in {precision} (load it with --precision {was.Precision})";
        if (FirstDifference(was.Settings, SettingsOf(now), "") is { } setting)
            return setting;
        if (was.TrainData != Fingerprint(now.Train)) return "the training data differ from the interrupted run's";
        if (was.ValidationData != Fingerprint(now.Validation)) return "the validation data differ from the interrupted run's";
        return null;
    }

    static string Short(string fingerprint) => fingerprint.Length > 12 ? fingerprint[..12] + "…" : fingerprint;

    /// <summary>The first setting (as a path into the settings JSON) whose value differs.</summary>
    static string? FirstDifference(JsonNode? was, JsonNode? now, string path)
    {
        if (JsonNode.DeepEquals(was, now)) return null;
        if (was is JsonObject before && now is JsonObject after)
            foreach (var key in before.Select(p => p.Key).Union(after.Select(p => p.Key)))
                if (FirstDifference(before[key], after[key], path.Length == 0 ? key : $"{path}.{key}") is { } found)
                    return found;
        return $"the setting {path} was {Show(was)} in the interrupted run, now {Show(now)}";
    }

    static string Show(JsonNode? value) => value is null ? "not set" : value.ToJsonString();

    /// <summary>The run's settings apart from its epoch count.</summary>
    static JsonObject SettingsOf(TuningSession session)
    {
        var settings = JsonNode.Parse(session.Settings.ToJson())!.AsObject();
        settings.Remove("epochs");
        return settings;
    }

    static List<(string Name, AdamWState State)> AdamWStates(TuningSession session)
    {
        var names = session.Model.Encoder.Trainable().Select(p => p.Name).ToList();
        var states = session.Trainer.Optimizer.state_dict().State.Cast<AdamWState>().ToList();
        if (names.Count != states.Count) throw new InvalidOperationException($"the optimizer holds {states.Count} parameters, the encoder {names.Count}");
        return names.Zip(states).ToList();
    }

    /// <summary>A hash of what training sees of the examples: their tokens, answers and order.</summary>
    static string Fingerprint(IEnumerable<TokenizedExample> examples)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var example in examples)
        {
            hash.AppendData(BitConverter.GetBytes(example.Tokens.Length));
            hash.AppendData(MemoryMarshal.AsBytes(example.Tokens.AsSpan()));
            hash.AppendData(BitConverter.GetBytes(example.AnswerStart));
            hash.AppendData(Encoding.UTF8.GetBytes((example.Answer ?? "") + "\0"));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
