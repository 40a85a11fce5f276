using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace FedPrompt.Federation.Tests.Simulation;

/// <summary>The server's and the sites' log lines (information and above) in the test's output, which
/// xunit shows when the test fails: a simulation that times out then says where it stood.</summary>
sealed class TestOutputLogs(ITestOutputHelper output) : ILoggerFactory
{
    readonly DateTime _start = DateTime.UtcNow;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public void Dispose() { }

    void Write(string category, LogLevel level, string message)
    {
        try
        {
            output.WriteLine($"{(DateTime.UtcNow - _start).TotalSeconds,7:F2}s {level} {category}: {message}");
        }
        catch (InvalidOperationException)
        {
            // A site still logging after its test ended: nobody to tell.
        }
    }

    sealed class Logger(TestOutputLogs logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
                logs.Write(category, logLevel, exception is null ? formatter(state, exception) : $"{formatter(state, exception)}: {exception}");
        }
    }
}
