namespace FedPrompt.Cli;

/// <summary>The data, model and jobs that ship with FedPrompt, copied beside the program at build
/// time (and into the tool package), so default paths work from any working directory.</summary>
public static class BundledFiles
{
    public static string Data(string name) => Path.Combine(AppContext.BaseDirectory, "data", name);

    /// <summary>The GPT FedPrompt pretrains and ships (models/README.md says how it was made).</summary>
    public static string DefaultModel => Path.Combine(AppContext.BaseDirectory, "models", "fedprompt-fin-gpt");

    public static string Jobs(string name) => Path.Combine(AppContext.BaseDirectory, "jobs", name);
}
