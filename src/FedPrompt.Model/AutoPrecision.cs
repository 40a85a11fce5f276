using System.Diagnostics;
using System.Runtime.Intrinsics.X86;
using FedPrompt.Formats.Settings;
using FedPrompt.Model.Native;
using static TorchSharp.torch;

namespace FedPrompt.Model;

/// <summary>What <see cref="Precision.Auto"/> means on this machine, and why.</summary>
public sealed record AutoChoice(Precision Precision, string Reason);

/// <summary>
/// Auto precision: bf16 where this machine multiplies bf16 clearly faster than fp32, fp32 elsewhere.
/// A CPU flag is not enough: with AVX512_BF16 an AMD EPYC VM ran libtorch's bf16 products 4.7×
/// faster than fp32, an Intel Xeon VM with the same flag 0.6× as fast (2026-12-02, 2 threads). So
/// the flag only decides whether to measure; the measurement, once per machine, decides.
/// </summary>
public static class AutoPrecision
{
    /// <summary>bf16 must beat fp32 by this much: below it, timing noise could flip the choice
    /// between processes of one job, and fp32's extra accuracy is worth a few percent.</summary>
    public const double RequiredSpeedup = 1.25;

    static readonly Lazy<AutoChoice> Measured = new(() => Decide(CpuHasNativeBf16, CpuHasNativeBf16 ? RememberedBf16Speedup() : null));

    /// <summary>AVX512_BF16 (CPUID leaf 7 sub-leaf 1, EAX bit 5) or AMX-BF16 (leaf 7, EDX bit 22),
    /// on a CPU and OS that run AVX-512 at all: what oneDNN needs for its bf16 matrix kernels;
    /// without them libtorch emulates bf16, always slower than fp32.</summary>
    public static bool CpuHasNativeBf16 { get; } = DetectNativeBf16();

    public static AutoChoice Choice => Measured.Value;

    /// <summary>What <paramref name="precision"/> means on this machine: never <see cref="Precision.Auto"/>.</summary>
    public static Precision Resolve(this Precision precision) => precision == Precision.Auto ? Choice.Precision : precision;

    /// <summary>How a resolved choice came about, for logs and reports: "fp32 (auto: …)".</summary>
    public static string Describe(this Precision requested) =>
        requested == Precision.Auto ? $"{Choice.Precision.Name()} (auto: {Choice.Reason})" : requested.Name();

    /// <param name="bf16Speedup">fp32's time over bf16's for the same product, or null when not measured.</param>
    public static AutoChoice Decide(bool cpuHasNativeBf16, double? bf16Speedup)
    {
        if (!cpuHasNativeBf16) return new(Precision.Fp32, "the CPU lacks native bf16");
        if (bf16Speedup is not { } speedup || !double.IsFinite(speedup) || speedup <= 0)
            throw new ArgumentOutOfRangeException(nameof(bf16Speedup), bf16Speedup, "a CPU with native bf16 needs a measured speed-up");
        return speedup >= RequiredSpeedup
            ? new(Precision.Bf16, $"bf16 products measured {speedup:0.0#}× as fast as fp32 here")
            : new(Precision.Fp32, $"the CPU has native bf16, but its products measured only {speedup:0.0#}× as fast as fp32 here (bf16 needs {RequiredSpeedup:0.0#}×)");
    }

    /// <summary>
    /// The machine's ratio, measured by the first process that needs it and kept in
    /// ~/.cache/fedprompt/: every later process on the machine makes the same choice. Measured per
    /// process, a run resumed in another process under a busier machine could compute in the other
    /// precision and no longer equal the uninterrupted run (seen in CI: 1.2× beside parallel tests,
    /// 0.6–0.9× quiet). The first file written wins a race; without a writable cache each process measures.
    /// </summary>
    static double RememberedBf16Speedup()
    {
        TorchNative.EnsureLoaded();
        var key = $"{CpuModel()}|{Environment.ProcessorCount} cpus|{get_num_threads()} threads|{typeof(TorchSharp.torch).Assembly.GetName().Version}";
        var name = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)))[..16].ToLowerInvariant();
        var path = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "fedprompt", $"bf16-speedup-{name}.txt");
        if (Read(path) is { } known) return known;
        var measured = MeasureBf16Speedup();
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temporary = $"{path}.{Environment.ProcessId}.tmp";
            File.WriteAllText(temporary, measured.ToString("R", System.Globalization.CultureInfo.InvariantCulture) + "\n# " + key + "\n");
            try
            {
                File.Move(temporary, path, overwrite: false);
            }
            catch (IOException)
            {
                File.Delete(temporary);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return measured;
        }
        return Read(path) ?? measured;
    }

    static double? Read(string path)
    {
        try
        {
            var first = File.ReadLines(path).FirstOrDefault();
            return double.TryParse(first, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value)
                && double.IsFinite(value) && value > 0 ? value : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    static string CpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown cpu";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "unknown cpu";
        }
    }

    /// <summary>The ratio for a product of a frozen model's size ([512 × 1024]·[1024 × 1024]ᵀ, a GFLOP):
    /// the median over nine fp32/bf16 pairs timed back to back after warming up, at the current
    /// thread count, so that a noisy neighbour slowing one product cannot decide (a best-of-five
    /// on one smaller product swung between 0.6× and 3.1× on one VM).</summary>
    static double MeasureBf16Speedup()
    {
        TorchNative.EnsureLoaded();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var generator = new Generator(0);
        var fp32 = (Input: randn(512, 1024, generator: generator), Weight: randn(1024, 1024, generator: generator));
        var bf16 = (Input: fp32.Input.to(ScalarType.BFloat16), Weight: fp32.Weight.to(ScalarType.BFloat16));
        static double Seconds((Tensor Input, Tensor Weight) product)
        {
            var clock = Stopwatch.StartNew();
            nn.functional.linear(product.Input, product.Weight).Dispose();
            return clock.Elapsed.TotalSeconds;
        }
        for (var warmUp = 0; warmUp < 2; warmUp++) { Seconds(fp32); Seconds(bf16); }
        var ratios = Enumerable.Range(0, 9).Select(_ => Seconds(fp32) / Seconds(bf16)).Order().ToArray();
        return ratios[ratios.Length / 2];
    }

    static bool DetectNativeBf16()
    {
        if (!X86Base.IsSupported || !Avx512F.IsSupported) return false;
        var (_, _, _, edx) = X86Base.CpuId(7, 0);
        var (eax, _, _, _) = X86Base.CpuId(7, 1);
        return (eax & (1 << 5)) != 0 || (edx & (1 << 22)) != 0;
    }
}
