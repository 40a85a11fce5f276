using System.Net;
using System.Net.Sockets;
using FedPrompt.Testing;

namespace FedPrompt.Cli.Tests;

/// <summary>
/// A mistyped command line fails before any work: the mistake is named as typed, with the closest
/// known name, the exit code is non-zero, nothing is written, and no .NET wording leaks out.
/// </summary>
public class CommandLineTests
{
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    static string Refused(params string[] args)
    {
        var (exit, output, error) = FedPromptProcess.Run(Timeout, args);
        Assert.True(exit == 1, $"fedprompt {string.Join(' ', args)} exited {exit}: {output}{error}");
        foreach (var leak in new[] { "`1", "(Parameter '", "   at ", "Exception" })
            Assert.DoesNotContain(leak, output + error);
        return error;
    }

    [Theory]
    [InlineData("unknown option '--rounds' for 'fedprompt simulate'", "simulate", "--rounds", "1")]
    [InlineData("unknown option '--learning-rate' for 'fedprompt train'; did you mean '--lr'?", "train", "--learning-rate", "0.5", "--epoch", "1")]
    [InlineData("unknown option '--epoch' for 'fedprompt train'; did you mean '--epochs'?", "train", "--epoch", "1")]
    [InlineData("unknown option '--max-tokens' for 'fedprompt generate'; did you mean '--max-new-tokens'?", "generate", "--max-tokens", "3")]
    [InlineData("unknown option '--format' for 'fedprompt model info' (its options: --json, --model, --threads, --precision, --help)", "model", "info", "--format", "x")]
    [InlineData("unknown option '--bogus' for 'fedprompt admin'", "admin", "--kit", "k", "--bogus", "status")]
    [InlineData("unknown command 'modle' for 'fedprompt'; did you mean 'model'?", "modle", "info")]
    [InlineData("unknown command 'inf' for 'fedprompt model'; did you mean 'info'?", "model", "inf")]
    [InlineData("unexpected argument 'stray': 'fedprompt model info' takes no arguments", "model", "info", "stray")]
    [InlineData("unexpected argument 'extra': 'fedprompt admin status' takes JOB", "admin", "--kit", "k", "status", "job", "extra")]
    [InlineData("unexpected argument 'extra' after '--' for 'fedprompt simulate'", "simulate", "--job", "j", "--", "extra")]
    [InlineData("'fedprompt train' needs --validation <FILE>, --out <DIR>", "train", "--train", "t.jsonl")]
    [InlineData("--lr needs a value: --lr <LR>", "train", "--lr")]
    [InlineData("'fedprompt admin submit' needs JOB, --kit <DIR>", "admin", "submit")]
    [InlineData("'fedprompt admin list' needs --kit <DIR>", "admin", "list")]
    public void AMistypedCommandLineIsNamed(string message, params string[] args) => Assert.Contains(message, Refused(args));

    [Theory]
    [InlineData("--lr fast: expected a number", "train", "--lr", "fast")]
    [InlineData("--epochs 1.5: expected a whole number", "train", "--epochs", "1.5")]
    [InlineData("--global-batch abc: expected a whole number", "train", "--global-batch=abc")]
    [InlineData("--seed -1: expected a whole number ≥ 0", "data", "split", "--seed", "-1")]
    [InlineData("--threads 0: must be at least 1", "train", "--threads", "0")]
    [InlineData("--threads 0: must be at least 1", "model", "info", "--threads", "0")]
    [InlineData("--threads 0: must be at least 1", "pretrain", "--out", "p", "--threads", "0")]
    [InlineData("--sites 0: must be at least 1", "data", "split", "--sites", "0", "--input", "i", "--out", "o")]
    [InlineData("--sites 0: must be at least 1", "simulate", "--sites", "0")]
    [InlineData("--port 70000: must be at least 1 and at most 65535", "server", "--kit", "k", "--port", "70000")]
    [InlineData("--lr 0: must be above 0", "train", "--lr", "0")]
    [InlineData("--top-p 1.5: must be above 0 and at most 1", "generate", "--prompt", "p", "--top-p", "1.5")]
    [InlineData("--log-level loud: expected one of trace, debug, information, warning, error, critical, none", "server", "--log-level", "loud")]
    public void AnInvalidValueIsRefusedBeforeAnyWork(string message, params string[] args) => Assert.Contains(message, Refused(args));

    /// <summary>A branch's option (admin --kit) is accepted before its subcommand and after it.</summary>
    [Theory]
    [InlineData("admin", "--kit", "no-kit", "sites")]
    [InlineData("admin", "sites", "--kit", "no-kit")]
    [InlineData("admin", "--kit", "no-kit", "status", "job")]
    [InlineData("admin", "status", "job", "--kit", "no-kit")]
    public void ABranchOptionIsAcceptedEitherSideOfTheSubcommand(params string[] args) => Assert.Contains("no-kit: startup kit folder not found", Refused(args));

    [Fact]
    public void EveryCommandRefusesAnUnknownOption()
    {
        var leaves = CommandWalk.Leaves.ToList();
        Assert.True(leaves.Count >= 20, string.Join(", ", leaves.Select(l => string.Join(' ', l))));
        foreach (var path in leaves)
            Assert.Contains($"unknown option '--no-such-option' for 'fedprompt {string.Join(' ', path)}'", Refused([.. path, "--no-such-option"]));
    }

    [Fact]
    public void NothingIsWrittenForARefusedLine()
    {
        using var folder = new TemporaryDirectory();
        var workspace = Path.Combine(folder.Path, "workspace");
        var output = Path.Combine(folder.Path, "run");
        Refused("simulate", "--job", Path.Combine(RepositoryFiles.Root, "jobs", "fpb_fedavg_deep"), "--workspace", workspace, "--rounds", "1");
        Refused("train", "--train", RepositoryFiles.Fixture("financial_phrase_bank_train.jsonl"), "--validation", RepositoryFiles.Fixture("financial_phrase_bank_val.jsonl"),
            "--out", output, "--learning-rate", "0.5");
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder.Path));
    }

    [Fact]
    public void VersionIsPrinted()
    {
        var (exit, output, _) = FedPromptProcess.Run(Timeout, "--version");
        Assert.Equal(0, exit);
        Assert.Matches(@"^\d+\.\d+\.\d+", output);
    }

    [Fact]
    public void APortInUseIsOneLineWithoutAStackTrace()
    {
        using var folder = new TemporaryDirectory();
        using var taken = new TcpListener(IPAddress.Any, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var kits = Deployment.Provision(folder.Path, "fpb", port, "site-1");
        var error = Refused("server", "--kit", Path.Combine(kits, "server"), "--workspace", Path.Combine(folder.Path, "workspace"));
        Assert.Contains($"port {port} is in use (another server or program listens on it)", error);
    }
}
