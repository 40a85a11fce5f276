using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using FedPrompt.Testing;

namespace FedPrompt.Cli.Tests;

/// <summary>train's --out: an earlier run there is neither replaced without --overwrite nor lost to an
/// interruption, which --resume continues to the result an uninterrupted run has.</summary>
public class TrainRunFolderTests
{
    static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    static string[] Train(TemporaryDirectory folder, params string[] more) => TrainArguments.For(folder, TrainArguments.Lines, ["--warmup", "2", .. more]);


    static Dictionary<string, byte[]> Contents(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(folder, f), File.ReadAllBytes);

    [Fact]
    public void AFolderHoldingARunIsRefusedUntouchedUnlessOverwriteIsGiven()
    {
        using var folder = new TemporaryDirectory();
        var run = TrainArguments.Run(folder);
        FedPromptProcess.Ok(FedPromptProcess.Run(Timeout, Train(folder, "--epochs", "2")));
        var before = Contents(run);

        var (exit, _, error) = FedPromptProcess.Run(Timeout, Train(folder, "--epochs", "1"));
        Assert.Equal(1, exit);
        Assert.Contains($"error: {run} already holds a run (encoder.safetensors, best.safetensors, metrics.jsonl, checkpoint.safetensors, tensorboard{Path.DirectorySeparatorChar}events.out.tfevents.fedprompt); --overwrite replaces it, --resume continues it", error);
        Assert.Equal(before, Contents(run));

        FedPromptProcess.Ok(FedPromptProcess.Run(Timeout, Train(folder, "--epochs", "1", "--overwrite")));
        Assert.Equal([1], File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("epoch").GetInt32()));
    }

    [Fact]
    public void ResumeWithoutACheckpointIsRefused()
    {
        using var folder = new TemporaryDirectory();
        var (exit, _, error) = FedPromptProcess.Run(Timeout, Train(folder, "--resume"));
        Assert.Equal(1, exit);
        Assert.Contains($"error: {TrainArguments.Run(folder)} holds no run to resume (no checkpoint.safetensors); start the run without --resume", error);
        Assert.False(Directory.Exists(TrainArguments.Run(folder)));
    }

    [Fact]
    public void OverwriteAndResumeTogetherAreRefused()
    {
        using var folder = new TemporaryDirectory();
        var (exit, _, error) = FedPromptProcess.Run(Timeout, Train(folder, "--overwrite", "--resume"));
        Assert.Equal(1, exit);
        Assert.Contains("--overwrite and --resume exclude each other", error);
    }

    [Fact]
    public async Task ARunStoppedBySigtermResumesToTheUninterruptedResult()
    {
        using var interrupted = new TemporaryDirectory();
        // Far more epochs than it gets to: the signal comes during the second.
        using (var process = FedPromptProcess.Start(Train(interrupted, "--epochs", "1000")))
        {
            await process.WaitFor("epoch 1: train loss", Timeout);
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()])) await kill.WaitForExitAsync();
            var deadline = DateTime.UtcNow + Timeout;
            while (!process.HasExited && DateTime.UtcNow < deadline) await Task.Delay(100);
            Assert.True(process.HasExited && process.ExitCode == 130, $"exit {(process.HasExited ? process.ExitCode : "none")}: {process.Output}{process.Error}");
            // Spectre.Console wraps long lines of redirected output at 80 columns.
            var stopped = Regex.Match(OneLine(process.Output), @"interrupted at step (\d+) of \d+; checkpoint in .*: the same command with --resume continues it");
            Assert.True(stopped.Success, process.Output);
            int step = int.Parse(stopped.Groups[1].Value);
            // The number of epochs does not change the schedule (max_steps sets it): ending the resumed
            // run one epoch after the interruption is ending the uninterrupted run there.
            var epochs = (step / 8 + 1).ToString();
            var resumed = FedPromptProcess.Ok(FedPromptProcess.Run(Timeout, Train(interrupted, "--epochs", epochs, "--resume")));
            Assert.Contains($"resuming at step {step} of {(step / 8 + 1) * 8}: epoch {step / 8 + 1}, its step {step % 8}", OneLine(resumed));

            using var whole = new TemporaryDirectory();
            FedPromptProcess.Ok(FedPromptProcess.Run(Timeout, Train(whole, "--epochs", epochs)));
            Assert.Equal(File.ReadAllBytes(Path.Combine(TrainArguments.Run(whole), "encoder.safetensors")),
                File.ReadAllBytes(Path.Combine(TrainArguments.Run(interrupted), "encoder.safetensors")));
            Assert.Equal(Losses(TrainArguments.Run(whole)), Losses(TrainArguments.Run(interrupted)));
        }
    }

    static string OneLine(string output) => Regex.Replace(output, @"\s+", " ");

    static List<(int, double, double)> Losses(string run) => File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
        .Select(m => (m.GetProperty("step").GetInt32(), m.GetProperty("train_loss").GetDouble(), m.GetProperty("validation_loss").GetDouble())).ToList();
}
