using FedPrompt.Formats.Settings;
using FedPrompt.Testing;
using static TorchSharp.torch;

namespace FedPrompt.Model.Tests;

/// <summary>What --precision promises: bf16 weights in memory with fp32 LayerNorms and outputs, one
/// identity for a checkpoint in every precision, and auto following what this machine measured.</summary>
public class PrecisionTests
{
    [Fact]
    public void Bf16HoldsTheMatricesInBf16AndTheLayerNormsInFp32()
    {
        using var model = LanguageModel.Load(RepositoryFiles.Engine("tiny-gpt2"), Precision.Bf16);
        Assert.Equal(Precision.Bf16, model.Precision);
        foreach (var (name, parameter) in model.Network.named_parameters())
            Assert.True(parameter.dtype == (name.Contains("ln_") ? ScalarType.Float32 : ScalarType.BFloat16), $"{name} is {parameter.dtype}");
        using var noGrad = no_grad();
        var hidden = model.Network.ForwardTokens(tensor(new long[] { 1, 2, 3 }).unsqueeze(0));
        Assert.Equal(ScalarType.Float32, hidden.dtype);
    }

    [Fact]
    public void ACheckpointHasOneFingerprintInEveryPrecision()
    {
        using var fp32 = LanguageModel.Load(RepositoryFiles.Engine("tiny-gpt2"), Precision.Fp32);
        using var bf16 = LanguageModel.Load(RepositoryFiles.Engine("tiny-gpt2"), Precision.Bf16);
        using var other = LanguageModel.Load(RepositoryFiles.Engine("tiny-megatron.nemo"), Precision.Bf16);
        Assert.Equal(fp32.Fingerprint, bf16.Fingerprint);
        Assert.NotEqual(fp32.Fingerprint, other.Fingerprint);
        // A loaded fp32 model's identity is that of its weights as held, as it was before bf16 existed.
        Assert.Equal(WeightFingerprint.Of(fp32.Network), fp32.Fingerprint);
    }

    [Fact]
    public void AutoIsWhatThisMachineMeasuredAndSaysWhy()
    {
        var choice = AutoPrecision.Choice;
        Assert.Equal(choice.Precision, Precision.Auto.Resolve());
        using var model = LanguageModel.Load(RepositoryFiles.Engine("tiny-gpt2"));
        Assert.Equal(choice.Precision, model.Precision);
        Assert.Contains($"computed in {choice.Precision.Name()} (auto: {choice.Reason})", model.Describe());
        // A CPU with AVX512_BF16 must be recognised, or auto would never even measure bf16.
        if (File.ReadAllText("/proc/cpuinfo").Contains(" avx512_bf16")) Assert.True(AutoPrecision.CpuHasNativeBf16);
        if (!AutoPrecision.CpuHasNativeBf16) Assert.Equal(Precision.Fp32, choice.Precision);
    }

    [Theory]
    [InlineData(false, null, Precision.Fp32, "the CPU lacks native bf16")]
    [InlineData(true, 4.7, Precision.Bf16, "bf16 products measured 4.7× as fast as fp32 here")]
    [InlineData(true, 1.25, Precision.Bf16, "bf16 products measured 1.25× as fast as fp32 here")]
    [InlineData(true, 1.1, Precision.Fp32, "the CPU has native bf16, but its products measured only 1.1× as fast as fp32 here (bf16 needs 1.25×)")]
    [InlineData(true, 0.6, Precision.Fp32, "the CPU has native bf16, but its products measured only 0.6× as fast as fp32 here (bf16 needs 1.25×)")]
    public void AutoTakesBf16OnlyWhereItIsClearlyFaster(bool nativeBf16, double? speedup, Precision expected, string reason)
    {
        var choice = AutoPrecision.Decide(nativeBf16, speedup);
        Assert.Equal(expected, choice.Precision);
        Assert.Equal(reason, choice.Reason);
    }

    [Fact]
    public void NativeBf16WithoutAMeasurementIsAnError() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => AutoPrecision.Decide(true, null));

    [Theory]
    [InlineData("auto", Precision.Auto)]
    [InlineData("BF16", Precision.Bf16)]
    [InlineData("bfloat16", Precision.Bf16)]
    [InlineData("fp32", Precision.Fp32)]
    public void PrecisionNamesParse(string text, Precision expected) => Assert.Equal(expected, Precisions.Parse(text, "--precision"));

    [Fact]
    public void AnUnknownPrecisionNamesTheChoices()
    {
        var error = Assert.Throws<FormatException>(() => Precisions.Parse("fp16", "--precision"));
        Assert.Equal("--precision: precision \"fp16\" is not one of auto, bf16 or fp32", error.Message);
    }
}
