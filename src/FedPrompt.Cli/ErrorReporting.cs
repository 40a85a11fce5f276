using Spectre.Console.Cli;

namespace FedPrompt.Cli;

/// <summary>Every failure ends a command with one line on stderr and a non-zero exit, in the user's
/// words: bad input names the problem (exit 1); a bug says so (exit 70, as sysexits' EX_SOFTWARE),
/// with its .NET type and stack trace only when FEDPROMPT_DEBUG is set; Ctrl-C ends with 130.</summary>
public static class ErrorReporting
{
    public const string DebugVariable = "FEDPROMPT_DEBUG";
    const int InternalError = 70;
    const int Interrupted = 130;

    public static int Run(Func<int> command)
    {
        try
        {
            return command();
        }
        catch (Exception e)
        {
            var (line, exitCode) = Report(e, Environment.GetEnvironmentVariable(DebugVariable) is { Length: > 0 });
            Console.Error.WriteLine(line);
            return exitCode;
        }
    }

    /// <summary>The line a failure ends the command with, and its exit code.</summary>
    /// <param name="debug">Show a bug's .NET type and stack trace.</param>
    public static (string Line, int ExitCode) Report(Exception e, bool debug) => e switch
    {
        _ when IsUserError(e) => ($"error: {UserMessage(e)}", 1),
        OperationCanceledException => ("interrupted", Interrupted),
        _ => (debug ? $"error: an internal error of fedprompt: {e}"
            : $"error: an internal error of fedprompt: {UserMessage(e)} (set {DebugVariable}=1 to see where it happened)", InternalError),
    };

    static bool IsUserError(Exception e) => e is CommandAppException or InvalidDataException or IOException
        or FedPrompt.Tuning.Data.DataFormatException or FedPrompt.Federation.Site.FederationRefusedException or FedPrompt.Federation.Jobs.JobFailedException or NotSupportedException or ArgumentException or UnauthorizedAccessException or FormatException or PlatformNotSupportedException;

    /// <summary>The message without what .NET appends for programmers: " (Parameter 'siteCount')" and "Actual value was 0.".</summary>
    static string UserMessage(Exception e)
    {
        var message = e.Message;
        if (e is ArgumentException { ParamName: { } name } && message.IndexOf($" (Parameter '{name}')", StringComparison.Ordinal) is var at and >= 0)
            message = message[..at];
        return message;
    }
}
