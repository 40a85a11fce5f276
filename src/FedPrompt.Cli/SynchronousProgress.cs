namespace FedPrompt.Cli;

/// <summary>Reports on the calling thread, in order (System.Progress posts to the thread pool).</summary>
public sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
