namespace FedPrompt.Cli.Commands.Bench;

/// <summary>The process's resident-set high-water mark (VmHWM) in MiB, the figure the PyTorch
/// benchmarks report from ru_maxrss.</summary>
public static class PeakMemory
{
    public static double Mebibytes()
    {
        if (!OperatingSystem.IsLinux()) return Environment.WorkingSet / 1048576.0;
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        var kibibytes = long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0]);
        return kibibytes / 1024.0;
    }
}
