namespace FedPrompt.Federation;

/// <summary>
/// Named places where the crash-safety tests make a process die as abruptly as kill -9 would, at a
/// moment a signal from outside could not hit reliably (half-way through writing a round, half-way
/// through an upload). Off unless the environment variable FEDPROMPT_CRASH_AT names the place.
/// </summary>
public static class CrashPoint
{
    public const string Variable = "FEDPROMPT_CRASH_AT";
    static readonly string? Armed = Environment.GetEnvironmentVariable(Variable);

    public static void Hit(string place)
    {
        if (Armed is not null && Armed == place)
            Environment.FailFast($"crash point {place} ({Variable})");
    }
}
