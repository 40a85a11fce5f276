using System.Text.Json;
using FedPrompt.Formats;
using FedPrompt.Formats.Metrics;
using FedPrompt.Formats.Settings;
using FedPrompt.Tuning.Artefacts;

namespace FedPrompt.Tuning.Training;

/// <summary>What a local run leaves behind, and where.</summary>
/// <param name="BestValidationLoss">Null if no epoch had a finite validation loss (then there is no best encoder).</param>
public sealed record LocalTrainingResult(IReadOnlyList<EpochMetrics> Epochs, int BestEpoch, double? BestValidationLoss, string FinalEncoder, string BestEncoder, string Metrics);

/// <summary>
/// One site training alone (`fedprompt train`, and the reference's local-only and centralised
/// baselines): epochs of training, the validation loss after each, the encoder after each epoch and
/// the one with the lowest validation loss kept as artefacts, metrics appended per epoch. max_steps
/// ends the run, inside an epoch if need be. A checkpoint is written after every epoch and when the
/// run is cancelled, so that <see cref="ExistingRun.Resume"/> continues it to the result it would
/// have had.
/// </summary>
public sealed class LocalTraining
{
    readonly TuningSession _session;
    readonly int _epochs;
    readonly RunFolder _folder;
    LocalRunState _state;

    LocalTraining(TuningSession session, int epochs, RunFolder folder, LocalRunState state, TrainerPosition? resumedFrom)
    {
        (_session, _epochs, _folder, _state, ResumedFrom) = (session, epochs, folder, state, resumedFrom);
        TotalSteps = session.Trainer.StepsFor(epochs, session.Train.Count);
    }

    /// <summary>Where a resumed run picked up, or null for a fresh one.</summary>
    public TrainerPosition? ResumedFrom { get; }

    /// <summary>The optimizer steps of the whole run, including any done before a resume.</summary>
    public int TotalSteps { get; }

    /// <summary>Checks the run and prepares its folder: refuses one already holding a run unless told
    /// to overwrite it (its files are deleted) or resume it (the session continues from its checkpoint).</summary>
    public static LocalTraining Start(TuningSession session, int epochs, string output, ExistingRun existing = ExistingRun.Refuse)
    {
        if (epochs < 1) throw new ArgumentException($"epochs must be ≥ 1 (got {epochs})");
        var warmup = session.Settings.Training.WarmupSteps;
        var steps = session.Trainer.StepsFor(epochs, session.Train.Count);
        // A run that ends inside its warmup never reaches the learning rate it was given.
        if (steps > 0 && warmup >= steps)
            throw new ArgumentException($"warmup ({warmup} steps) is not shorter than the run ({steps} steps: {epochs} epochs of {session.Trainer.StepsPerEpoch(session.Train.Count)}, at most max_steps {session.Settings.Training.MaxSteps})");
        var folder = new RunFolder(output);
        folder.Check(existing);
        if (existing == ExistingRun.Resume)
        {
            var state = TrainingCheckpoint.Restore(folder.Checkpoint, session);
            return new LocalTraining(session, epochs, folder, state, session.Trainer.Position);
        }
        folder.Clear();
        Directory.CreateDirectory(output);
        return new LocalTraining(session, epochs, folder, LocalRunState.Empty, null);
    }

    /// <summary>Trains the remaining epochs. Cancelled, it checkpoints where it stopped and rethrows.</summary>
    public LocalTrainingResult Run(IProgress<TrainingProgress>? progress = null, Action<EpochMetrics>? epochDone = null, CancellationToken cancel = default)
    {
        var trainer = _session.Trainer;
        while (trainer.EpochsDone < _epochs && !trainer.Finished)
        {
            EpochResult trained;
            try
            {
                trained = _session.TrainEpoch(progress, cancel);
            }
            catch (OperationCanceledException)
            {
                TrainingCheckpoint.Save(_folder.Checkpoint, _session, _state);
                throw;
            }
            var metrics = new EpochMetrics(trained.Epoch, trainer.Step, trained.MeanLoss, _session.ValidationLoss(), trained.LearningRate, trained.Seconds,
                DateTimeOffset.UtcNow, _session.Model.Base.Precision.Name());
            SaveEpoch(metrics);
            epochDone?.Invoke(metrics);
        }
        return new LocalTrainingResult(_state.History, _state.BestEpoch, _state.BestValidationLoss,
            _folder.FinalEncoder, _folder.BestEncoder, _folder.Metrics);
    }

    /// <summary>The epoch's artefacts, then the checkpoint: a crash in between resumes at this epoch
    /// and writes them again, never the other way round (a checkpoint ahead of best.safetensors).</summary>
    void SaveEpoch(EpochMetrics metrics)
    {
        var model = _session.Model;
        EncoderArtefact.Save(_folder.FinalEncoder, model.Encoder, _session.Settings.Template, _session.Answers, model.Base);
        var history = _state.History.Append(metrics).ToList();
        _state = metrics.ValidationLoss < (_state.BestValidationLoss ?? double.PositiveInfinity)
            ? new LocalRunState(history, metrics.Epoch, metrics.ValidationLoss)
            : _state with { History = history };
        if (_state.BestEpoch == metrics.Epoch)
            AtomicFile.WriteAllBytes(_folder.BestEncoder, File.ReadAllBytes(_folder.FinalEncoder));
        AtomicFile.WriteAllText(_folder.Metrics, string.Concat(history.Select(m => JsonSerializer.Serialize(m, SnakeCaseJson.Compact) + "\n")));
        Directory.CreateDirectory(_folder.TensorBoard);
        TensorBoardWriter.Write(_folder.TensorBoard, history.SelectMany(m => new[]
        {
            new Scalar("train_loss", m.Epoch, m.TrainLoss, m.Time),
            new Scalar("validation_loss", m.Epoch, m.ValidationLoss, m.Time),
        }));
        TrainingCheckpoint.Save(_folder.Checkpoint, _session, _state);
    }
}
