using System.Text.Json;
using FedPrompt.Federation.Models;
using FedPrompt.Formats;
using FedPrompt.Formats.Metrics;

namespace FedPrompt.Federation.Server;

/// <summary>
/// A job's folder in the server workspace:
///   job/                the submitted job folder
///   state.json          the resumable state (the commit point of every round)
///   models/             round-versioned global and best models that state.json names
///   global.safetensors  the latest global model, best.safetensors the best — artefacts for
///                       `fedprompt eval` and `predict`, refreshed after state.json
///   metrics.jsonl, tensorboard/
/// A crash at any point leaves state.json naming complete files; a round whose state was not
/// committed is run again from the previous global model, so none is aggregated twice.
/// </summary>
public sealed class JobStore(string folder)
{
    public const string StateFile = "state.json";
    /// <summary>The latest global and the best encoder as artefacts for <c>fedprompt eval</c> and <c>predict</c>:
    /// copies, with the artefact header, of the round-versioned models state.json names.</summary>
    public const string GlobalArtefactFile = "global.safetensors";
    public const string BestArtefactFile = "best.safetensors";
    public const string MetricsFile = "metrics.jsonl";

    public string Folder { get; } = folder;
    public string JobFolder => Path.Combine(Folder, "job");
    public string TensorBoardFolder => Path.Combine(Folder, "tensorboard");
    public string MetricsPath => Path.Combine(Folder, MetricsFile);

    static readonly JsonSerializerOptions MetricsLine = new(JobState.Json) { WriteIndented = false };

    public static bool Exists(string folder) => File.Exists(Path.Combine(folder, StateFile));

    /// <summary>What a job's result is, as far as it has got: the global and best encoders, the
    /// metrics, and state.json (every round, who contributed, who was turned away, the best round).</summary>
    public IReadOnlyList<string> ResultFiles() =>
        new[] { GlobalArtefactFile, BestArtefactFile, MetricsFile, StateFile }.Where(name => File.Exists(Path.Combine(Folder, name))).ToList();

    /// <summary>The job's secret noise key: made once, kept owner-readable only, so every run of a
    /// round (also after a restart) draws the same noise.</summary>
    public Privacy.NoiseKey NoiseKey(Privacy.PrivacySettings settings)
    {
        var path = Path.Combine(Folder, "privacy.key");
        if (File.Exists(path)) return Privacy.NoiseKey.FromBytes(File.ReadAllBytes(path));
        var key = settings.CreateNoiseKey();
        AtomicFile.WriteAllBytes(path, key.ToBytes(), ownerOnly: true);
        return key;
    }

    public JobState LoadState()
    {
        var path = Path.Combine(Folder, StateFile);
        try
        {
            return JsonSerializer.Deserialize<JobState>(File.ReadAllText(path), JobState.Json)
                ?? throw new InvalidDataException("empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: unreadable job state: {e.Message}", e);
        }
    }

    public ModelState LoadModel(string relative) => ModelState.ReadFile(Path.Combine(Folder, relative));

    /// <summary>Writes the round's models, then the state that names them, then the stable artefact
    /// copies; finally removes model versions no longer named.</summary>
    public JobState Commit(JobState state, ModelState? global, ModelState? best, IReadOnlyDictionary<string, string> artefactMetadata)
    {
        Directory.CreateDirectory(Path.Combine(Folder, "models"));
        if (global is not null)
        {
            state = state with { GlobalFile = Path.Combine("models", $"global-r{state.NextRound}.safetensors") };
            global.WriteFile(Path.Combine(Folder, state.GlobalFile));
        }
        if (best is not null)
        {
            state = state with { BestFile = Path.Combine("models", $"best-r{state.BestRound}.safetensors") };
            best.WriteFile(Path.Combine(Folder, state.BestFile));
        }
        CrashPoint.Hit($"commit:{state.NextRound}:models-written");
        SaveState(state);
        CrashPoint.Hit($"commit:{state.NextRound}:state-written");
        if (global is not null) global.WriteFile(Path.Combine(Folder, GlobalArtefactFile), artefactMetadata);
        if (best is not null) best.WriteFile(Path.Combine(Folder, BestArtefactFile), artefactMetadata);
        foreach (var file in Directory.GetFiles(Path.Combine(Folder, "models")))
        {
            var relative = Path.GetRelativePath(Folder, file);
            if (relative != state.GlobalFile && relative != state.BestFile) File.Delete(file);
        }
        return state;
    }

    public void SaveState(JobState state) =>
        AtomicFile.WriteAllText(Path.Combine(Folder, StateFile), JsonSerializer.Serialize(state, JobState.Json));

    /// <summary>metrics.jsonl rendered from the committed rounds (rewritten whole, so it always agrees
    /// with state.json): per round a line per contributing site, then the round's global line.</summary>
    public void WriteMetrics(JobState state)
    {
        var lines = new List<string>();
        foreach (var round in state.Rounds)
        {
            foreach (var site in round.Sites)
                lines.Add(JsonSerializer.Serialize(new { round = round.Round, kind = round.Kind, site = site.Site, steps = site.Steps, metrics = site.Metrics }, MetricsLine));
            lines.Add(JsonSerializer.Serialize(new
            {
                round = round.Round, kind = round.Kind, site = "global", sites = round.Sites.Count,
                validation_loss = round.ValidationLoss, validation_accuracy = round.ValidationAccuracy, rejected = round.Rejected,
                aggregation = round.Aggregation,
            }, MetricsLine));
        }
        AtomicFile.WriteAllText(MetricsPath, string.Concat(lines.Select(l => l + "\n")));
        Directory.CreateDirectory(TensorBoardFolder);
        TensorBoardWriter.Write(TensorBoardFolder, Scalars(state));
    }

    /// <summary>TensorBoard curves per round: the global model's validation metrics and each site's.</summary>
    static IEnumerable<Scalar> Scalars(JobState state)
    {
        foreach (var round in state.Rounds)
        {
            if (round.ValidationLoss is { } loss) yield return new Scalar("global/validation_loss", round.Round, loss, round.Closed);
            if (round.ValidationAccuracy is { } accuracy) yield return new Scalar("global/validation_accuracy", round.Round, accuracy, round.Closed);
            foreach (var (metric, value) in (round.Aggregation ?? new Dictionary<string, double>()).OrderBy(m => m.Key, StringComparer.Ordinal))
                if (double.IsFinite(value)) yield return new Scalar($"aggregation/{metric}", round.Round, value, round.Closed);
            foreach (var site in round.Sites)
                foreach (var (metric, value) in site.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal))
                    yield return new Scalar($"{site.Site}/{metric}", round.Round, value, round.Closed);
        }
    }
}
