using System.Text.RegularExpressions;

namespace FedPrompt.Cli.Tests;

/// <summary>Every command and branch of the program, found by walking its --help from the top, with the help it printed.</summary>
public static partial class CommandWalk
{
    static readonly Lazy<IReadOnlyList<(string[] Path, string Help)>> Walked = new(() =>
    {
        var found = new List<(string[], string)>();
        Walk([]);
        return found;

        void Walk(string[] path)
        {
            var (exit, output, error) = FedPromptProcess.Run(TimeSpan.FromSeconds(60), [.. path, "--help"]);
            Assert.True(exit == 0 && !error.Contains("Exception", StringComparison.Ordinal), $"'{string.Join(' ', path)} --help' failed: {error}{output}");
            found.Add((path, output));
            foreach (var name in Section(output, "COMMANDS").Select(l => CommandLine().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value))
                Walk([.. path, name]);
        }
    });

    public static IReadOnlyList<(string[] Path, string Help)> All => Walked.Value;

    /// <summary>Commands that run (no subcommands of their own).</summary>
    public static IEnumerable<string[]> Leaves => All.Where(c => !Section(c.Help, "COMMANDS").Any()).Select(c => c.Path);

    /// <summary>The lines of a help section ("OPTIONS", "ARGUMENTS", "COMMANDS"), up to the next blank line.</summary>
    public static IEnumerable<string> Section(string help, string name) => help.Split('\n').Select(l => l.TrimEnd())
        .SkipWhile(l => l != name + ":").Skip(1).TakeWhile(l => l.Length > 0);

    /// <summary>A command's line in the COMMANDS list; its description's continuation lines are indented deeper.</summary>
    [GeneratedRegex(@"^ {4}([a-z][a-z-]*)")]
    private static partial Regex CommandLine();
}
