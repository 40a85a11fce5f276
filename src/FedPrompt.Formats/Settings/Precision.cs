using System.Runtime.Intrinsics.X86;

namespace FedPrompt.Formats.Settings;

/// <summary>
/// How the frozen model computes. <see cref="Bf16"/> holds its weights in bfloat16 (half of fp32's
/// memory) and multiplies in bfloat16 with fp32 accumulation; <see cref="Fp32"/> is plain fp32;
/// <see cref="Auto"/> is bf16 where the CPU multiplies bf16 natively and fp32 elsewhere, because
/// without native support libtorch emulates bf16 and is slower than fp32.
/// </summary>
public enum Precision { Auto, Fp32, Bf16 }

public static class Precisions
{
    public const string Choices = "auto, bf16 or fp32";

    /// <summary>AVX512_BF16 (CPUID leaf 7 sub-leaf 1, EAX bit 5) or AMX-BF16 (leaf 7, EDX bit 22),
    /// on a CPU and OS that run AVX-512 at all: what oneDNN needs for its bf16 matrix kernels.</summary>
    public static bool CpuHasNativeBf16 { get; } = DetectNativeBf16();

    static bool DetectNativeBf16()
    {
        if (!X86Base.IsSupported || !Avx512F.IsSupported) return false;
        var (_, _, _, edx) = X86Base.CpuId(7, 0);
        var (eax, _, _, _) = X86Base.CpuId(7, 1);
        return (eax & (1 << 5)) != 0 || (edx & (1 << 22)) != 0;
    }

    /// <summary>What <paramref name="precision"/> means on this machine: never <see cref="Precision.Auto"/>.</summary>
    public static Precision Resolve(this Precision precision) =>
        precision == Precision.Auto ? (CpuHasNativeBf16 ? Precision.Bf16 : Precision.Fp32) : precision;

    public static string Name(this Precision precision) => precision switch
    {
        Precision.Auto => "auto",
        Precision.Fp32 => "fp32",
        Precision.Bf16 => "bf16",
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, null),
    };

    /// <summary>Reads "auto", "bf16" or "fp32"; <paramref name="origin"/> names where the text came from.</summary>
    public static Precision Parse(string text, string origin) => text.Trim().ToLowerInvariant() switch
    {
        "auto" => Precision.Auto,
        "fp32" or "float32" => Precision.Fp32,
        "bf16" or "bfloat16" => Precision.Bf16,
        _ => throw new FormatException($"{origin}: precision \"{text}\" is not one of {Choices}"),
    };

    /// <summary>How a resolved choice came about, for logs and reports: "bf16 (auto: the CPU has native bf16)".</summary>
    public static string Describe(this Precision requested) => requested == Precision.Auto
        ? $"{requested.Resolve().Name()} (auto: the CPU {(CpuHasNativeBf16 ? "has" : "lacks")} native bf16)"
        : requested.Name();
}
