using FedPrompt.Formats.Metrics;


namespace FedPrompt.Tuning.Training;

/// <summary>What a local run does with a folder that already holds a run.</summary>
public enum ExistingRun
{
    /// <summary>Stop with an error: the earlier run's results are not replaced without being asked.</summary>
    Refuse,
    /// <summary>Delete the earlier run's files and start afresh.</summary>
    Overwrite,
    /// <summary>Continue the earlier run from its checkpoint.</summary>
    Resume,
}

/// <summary>
/// The folder a local run writes: the last and the best encoder, metrics.jsonl, TensorBoard events
/// and the checkpoint a resumed run continues from. A folder holding any of them holds a run.
/// </summary>
public sealed record RunFolder(string Path)
{
    public const string FinalEncoderFile = "encoder.safetensors";
    public const string BestEncoderFile = "best.safetensors";
    public const string MetricsFile = "metrics.jsonl";
    public const string CheckpointFile = "checkpoint.safetensors";
    public const string TensorBoardFolder = "tensorboard";

    public string FinalEncoder => In(FinalEncoderFile);
    public string BestEncoder => In(BestEncoderFile);
    public string Metrics => In(MetricsFile);
    public string Checkpoint => In(CheckpointFile);
    public string TensorBoard => In(TensorBoardFolder);

    string In(string name) => System.IO.Path.Combine(Path, name);

    string TensorBoardEvents => System.IO.Path.Combine(TensorBoard, TensorBoardWriter.FileName);

    /// <summary>The run's files already in the folder, by name.</summary>
    public IReadOnlyList<string> ExistingFiles() =>
        new[] { FinalEncoder, BestEncoder, Metrics, Checkpoint, TensorBoardEvents }.Where(File.Exists)
            .Select(f => System.IO.Path.GetRelativePath(Path, f)).ToList();

    /// <summary>Refuses what <paramref name="existing"/> does not allow, before anything is loaded or written.</summary>
    public void Check(ExistingRun existing)
    {
        var files = ExistingFiles();
        if (existing == ExistingRun.Resume && !File.Exists(Checkpoint))
            throw new FileNotFoundException(files.Count == 0
                ? $"{Path} holds no run to resume (no {CheckpointFile}); start the run without --resume"
                : $"{Path} holds a run ({string.Join(", ", files)}) but no {CheckpointFile} to resume it from; --overwrite starts it afresh", Checkpoint);
        if (existing == ExistingRun.Refuse && files.Count > 0)
            throw new IOException($"{Path} already holds a run ({string.Join(", ", files)}); --overwrite replaces it, --resume continues it");
    }

    /// <summary>Deletes an earlier run's files (nothing else in the folder), so none of them outlives the new run.</summary>
    public void Clear()
    {
        foreach (var file in ExistingFiles()) File.Delete(In(file));
    }
}
