namespace FedPrompt.Cli;

/// <summary>The data, model and jobs that ship with FedPrompt, copied beside the program at build
/// time (and into the tool package), so default paths work from any working directory.</summary>
public static class BundledFiles
{
    public static string Data(string name) => Path.Combine(AppContext.BaseDirectory, "data", name);
}
