using Spectre.Console;
using Spectre.Console.Cli;

namespace FedPrompt.Cli;

/// <summary>Bad input ends a command with one line that names the problem and a non-zero exit;
/// anything else is a bug and keeps its stack trace.</summary>
public static class ErrorReporting
{
    public static int Run(Func<int> command)
    {
        try
        {
            return command();
        }
        catch (Exception e) when (IsUserError(e))
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    static bool IsUserError(Exception e) => e is CommandAppException or InvalidDataException or IOException
        or FedPrompt.Tuning.Data.DataFormatException or FedPrompt.Federation.Site.FederationRefusedException or NotSupportedException or ArgumentException or UnauthorizedAccessException or FormatException or PlatformNotSupportedException;
}
