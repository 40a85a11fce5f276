using System.Text.RegularExpressions;

namespace FedPrompt.Cli.Tests;

/// <summary>Every command's --help renders: option descriptions are console markup, where a stray
/// "[...]" crashes the help instead of showing it.</summary>
public partial class HelpTests
{
    [Fact]
    public void EveryCommandShowsItsHelp()
    {
        var seen = new List<string>();
        Walk([]);
        Assert.Contains("pretrain", seen);
        Assert.Contains("model convert", seen);
        Assert.Contains("admin submit", seen);

        void Walk(string[] path)
        {
            var (exit, output, error) = FedPromptProcess.Run(TimeSpan.FromSeconds(60), [.. path, "--help"]);
            var command = string.Join(' ', path);
            Assert.True(exit == 0 && !error.Contains("Exception", StringComparison.Ordinal), $"'{command} --help' failed: {error}{output}");
            Assert.Contains("USAGE:", output);
            seen.Add(command);
            var commands = output.Split('\n').SkipWhile(l => !l.StartsWith("COMMANDS:", StringComparison.Ordinal)).Skip(1);
            foreach (var name in commands.Select(l => CommandLine().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value))
                Walk([.. path, name]);
        }
    }

    /// <summary>A command's line in the COMMANDS list; its description's continuation lines are indented deeper.</summary>
    [GeneratedRegex(@"^ {4}([a-z][a-z-]*)")]
    private static partial Regex CommandLine();
}
