using FedPrompt.Federation.Privacy;

namespace FedPrompt.Federation.Tests.Privacy;

public sealed class ErrorFunctionTests
{
    [Fact]
    public void LogErfcMatchesHighPrecisionValuesAcrossTheLine()
    {
        foreach (var reference in RdpReference.LogErfc)
        {
            double x = reference.GetProperty("x").GetDouble(), expected = reference.GetProperty("log_erfc").GetDouble();
            double actual = ErrorFunction.LogErfc(x);
            // Relative where the value is large, absolute near log erfc = 0 (x → −∞).
            Assert.True(Math.Abs(actual - expected) <= 1e-14 * Math.Max(1, Math.Abs(expected)), $"log erfc({x}) = {actual:R}, reference {expected:R}");
        }
    }
}
