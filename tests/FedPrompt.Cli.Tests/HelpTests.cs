using System.Text.RegularExpressions;

namespace FedPrompt.Cli.Tests;

/// <summary>Every command's --help renders (option descriptions are console markup, where a stray
/// "[...]" crashes the help instead of showing it) and describes every option and argument.</summary>
public partial class HelpTests
{
    [Fact]
    public void EveryCommandShowsItsHelp()
    {
        var commands = CommandWalk.All.Select(c => string.Join(' ', c.Path)).ToList();
        Assert.Contains("pretrain", commands);
        Assert.Contains("model convert", commands);
        Assert.Contains("admin submit", commands);
        Assert.All(CommandWalk.All, c => Assert.Contains("USAGE:", c.Help));
        Assert.Contains("--version", CommandWalk.All.Single(c => c.Path.Length == 0).Help);
    }

    /// <summary>What an option is, and its default unless the command requires it: every option but
    /// --help and --version says "default" (for a flag, what leaving it out does) or "required".</summary>
    [Fact]
    public void EveryOptionAndArgumentIsDescribedWithItsDefault()
    {
        foreach (var (path, help) in CommandWalk.All)
        {
            var command = $"fedprompt {string.Join(' ', path)}";
            var options = CommandWalk.Section(help, "OPTIONS").Select(l => OptionLine().Match(l)).Where(m => m.Success).ToList();
            Assert.Contains(options, o => o.Groups["name"].Value == "--help");
            foreach (var option in options.Where(o => o.Groups["name"].Value is not ("--help" or "--version")))
            {
                var description = Description(help, option);
                Assert.True(description.Length > 0, $"{command} {option.Groups["name"].Value} has no description");
                Assert.True(description.Contains("default", StringComparison.Ordinal) || description.Contains("required", StringComparison.OrdinalIgnoreCase),
                    $"{command} {option.Groups["name"].Value}: \"{description}\" states neither its default nor that it is required");
            }
            foreach (var argument in CommandWalk.Section(help, "ARGUMENTS"))
                Assert.True(ArgumentLine().Match(argument) is { Success: true } m && m.Groups["description"].Value.Trim().Length > 0, $"{command}: argument without a description: {argument}");
        }
    }

    /// <summary>An option's description: the rest of its line and the deeper-indented lines after it.</summary>
    static string Description(string help, Match option)
    {
        var lines = CommandWalk.Section(help, "OPTIONS").ToList();
        var first = lines.IndexOf(option.Value);
        var continuation = lines.Skip(first + 1).TakeWhile(l => !OptionLine().IsMatch(l)).Select(l => l.Trim());
        return string.Join(' ', continuation.Prepend(option.Groups["description"].Value.Trim())).Trim();
    }

    [GeneratedRegex(@"^ {4}(?:-\w, |    )(?<name>--[a-z-]+)(?: [<\[][A-Z]+[>\]])?(?<description>.*)$")]
    private static partial Regex OptionLine();

    [GeneratedRegex(@"^ {4}[<\[][A-Z]+[>\]](?<description>.*)$")]
    private static partial Regex ArgumentLine();
}
