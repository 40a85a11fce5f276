using Microsoft.Extensions.Logging;

namespace FedPrompt.Cli;

/// <summary>Server and site log lines on the console: one line each, with the time.</summary>
public static class Logs
{
    public const string Levels = "trace, debug, information, warning, error, critical or none";

    /// <summary>The help of --log-level where it defaults to information.</summary>
    public const string LevelDescription = $"Least severe log lines shown: {Levels} (default information)";

    /// <param name="toStandardError">Every line on stderr, for a command whose stdout is JSON for a script.</param>
    public static ILoggerFactory Console(LogLevel minimum = LogLevel.Information, bool toStandardError = false) => LoggerFactory.Create(builder => builder
        .SetMinimumLevel(minimum)
        .AddFilter("Microsoft", LogLevel.Warning)
        // A host that fails to start (a port in use) ends the command with its message; the host's own
        // line for it is a stack trace, kept for debugging.
        .AddFilter("Microsoft.Extensions.Hosting", minimum <= LogLevel.Debug ? LogLevel.Debug : LogLevel.None)
        .AddFilter("Grpc", LogLevel.Warning)
        .AddSimpleConsole(options =>
        {
            options.SingleLine = true;
            options.TimestampFormat = "HH:mm:ss ";
        })
        .AddConsole(options => options.LogToStandardErrorThreshold = toStandardError ? LogLevel.Trace : LogLevel.None));
}
