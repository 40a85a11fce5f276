using Microsoft.Extensions.Logging;

namespace FedPrompt.Cli;

/// <summary>Server and site log lines on the console: one line each, with the time.</summary>
public static class Logs
{
    public static ILoggerFactory Console(LogLevel minimum = LogLevel.Information) => LoggerFactory.Create(builder => builder
        .SetMinimumLevel(minimum)
        .AddFilter("Microsoft", LogLevel.Warning)
        .AddFilter("Grpc", LogLevel.Warning)
        .AddSimpleConsole(options =>
        {
            options.SingleLine = true;
            options.TimestampFormat = "HH:mm:ss ";
        }));
}
