using FedPrompt.Formats.Settings;
using FedPrompt.Testing;
using static TorchSharp.torch;

namespace FedPrompt.Model.Tests;

/// <summary>What --precision promises: bf16 weights in memory with fp32 LayerNorms and outputs, one
/// identity for a checkpoint in every precision, and auto following the CPU.</summary>
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
    public void AutoIsBf16ExactlyWhereTheCpuHasNativeBf16()
    {
        Assert.Equal(Precisions.CpuHasNativeBf16 ? Precision.Bf16 : Precision.Fp32, Precision.Auto.Resolve());
        using var model = LanguageModel.Load(RepositoryFiles.Engine("tiny-gpt2"));
        Assert.Equal(Precision.Auto.Resolve(), model.Precision);
        Assert.Contains(Precisions.CpuHasNativeBf16 ? "bf16 (auto: the CPU has native bf16)" : "fp32 (auto: the CPU lacks native bf16)", model.Describe());
        // This machine's CPU (AVX512_BF16) must be recognised, or auto would silently cost it 4x.
        if (File.ReadAllText("/proc/cpuinfo").Contains(" avx512_bf16")) Assert.True(Precisions.CpuHasNativeBf16);
    }

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
