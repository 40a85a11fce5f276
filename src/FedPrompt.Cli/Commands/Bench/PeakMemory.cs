namespace FedPrompt.Cli.Commands.Bench;

/// <summary>The process's resident-set high-water mark (VmHWM), the figure PyTorch's ru_maxrss reports.</summary>
public static class PeakMemory
{
    public static double Megabytes()
    {
        if (!OperatingSystem.IsLinux()) return Environment.WorkingSet / 1e6;
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        var kilobytes = long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0]);
        return kilobytes * 1024 / 1e6;
    }
}
