using FedPrompt.Federation.Privacy;

namespace FedPrompt.Federation.Tests.Privacy;

public sealed class RdpAccountantTests
{
    const double Relative = 1e-9;

    static void AssertClose(double expected, double actual, double relative, string what, double absolute = 0) =>
        Assert.True(Math.Abs(actual - expected) <= relative * Math.Abs(expected) + absolute,
            $"{what}: {actual:R}, reference {expected:R} (relative difference {Math.Abs(actual - expected) / Math.Abs(expected):E2})");

    static RdpAccountant Replay(System.Text.Json.JsonElement reference)
    {
        var accountant = new RdpAccountant(RdpReference.Doubles(reference.GetProperty("orders")));
        foreach (var mechanism in reference.GetProperty("mechanisms").EnumerateArray())
            accountant.Compose(mechanism.GetProperty("noise_multiplier").GetDouble(),
                mechanism.GetProperty("sampling_rate").GetDouble(), mechanism.GetProperty("steps").GetInt64());
        return accountant;
    }

    public static TheoryData<string> Cases() => new(RdpReference.CaseNames);

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesTheHighPrecisionReference(string name)
    {
        var reference = RdpReference.Case(name);
        double delta = reference.GetProperty("delta").GetDouble();

        var accountant = Replay(reference);

        var orders = accountant.Orders;
        var expected = RdpReference.Doubles(reference.GetProperty("rdp"));
        for (int i = 0; i < orders.Count; i++) AssertClose(expected[i], accountant.Rdp[i], Relative, $"RDP at order {orders[i]}");
        foreach (var conversion in new[] { RdpConversion.Improved, RdpConversion.Classical })
        {
            var want = reference.GetProperty(conversion.ToString().ToLowerInvariant());
            var got = accountant.Guarantee(delta, conversion);
            AssertClose(want.GetProperty("epsilon").GetDouble(), got.Epsilon, Relative, $"{conversion} ε");
            Assert.Equal(want.GetProperty("best_order").GetDouble(), got.BestOrder);
            Assert.Equal(delta, got.Delta);
        }
        // Where a source printed ε, the accountant prints the same digits.
        if (reference.TryGetProperty("published", out var published))
        {
            var conversion = Enum.Parse<RdpConversion>(published.GetProperty("conversion").GetString()!, ignoreCase: true);
            Assert.Equal(published.GetProperty("epsilon").GetDouble(),
                Math.Round(accountant.Guarantee(delta, conversion).Epsilon, published.GetProperty("decimals").GetInt32()));
        }
    }

    [Fact]
    public void TfPrivacyMnistExampleIsEpsilon292()
    {
        // compute_dp_sgd_privacy.py: N = 60000, batch 256, noise 1.12, 60 epochs, δ = 1e-5 → 2.92.
        var accountant = new RdpAccountant();
        accountant.Compose(noiseMultiplier: 1.12, samplingRate: 256.0 / 60000, steps: (long)Math.Ceiling(60 * 60000 / 256.0));

        Assert.Equal(2.92, Math.Round(accountant.Guarantee(1e-5, RdpConversion.Classical).Epsilon, 2));
        Assert.True(accountant.Guarantee(1e-5).Epsilon < 2.92);
    }

    [Fact]
    public void TfPrivacyUnitTestValues()
    {
        // rdp_accountant_test.py: compute_rdp(0.1, 2, 10, 5) and compute_rdp(0.01, 2.5, 50, orders).
        Assert.Equal(0.07737, 10 * SampledGaussianRdp.Rdp(0.1, 2, 5), 5);
        double[] orders = [1.5, 2.5, 5, 50, 100], published = [0.00065, 0.001085, 0.00218075, 0.023846, 167.416307];
        for (int i = 0; i < orders.Length; i++)
            Assert.True(Math.Abs(50 * SampledGaussianRdp.Rdp(0.01, 2.5, orders[i]) - published[i]) <= 1e-5, $"order {orders[i]}");
        // A constant RDP of 1.1 (pure DP) at orders 2..32 converts, improved, to 1.32783806176 at order 32.
        var constant = ApproximateDp.FromRdp(Enumerable.Range(2, 31).Select(o => (double)o).ToArray(), Enumerable.Repeat(1.1, 31).ToArray(), 1e-5);
        Assert.Equal(1.32783806176, constant.Epsilon, 10);
        Assert.Equal(32, constant.BestOrder);
    }

    [Fact]
    public void HardLogACasesMatchNumericalIntegration()
    {
        foreach (var reference in RdpReference.LogA)
        {
            double q = reference.GetProperty("sampling_rate").GetDouble(), z = reference.GetProperty("noise_multiplier").GetDouble();
            double order = reference.GetProperty("order").GetDouble();
            // A ≥ 1 is summed in double, so log A is good to a few ulps of 1 absolutely, whatever its size.
            AssertClose(reference.GetProperty("log_a").GetDouble(), SampledGaussianRdp.LogA(q, z, order), 1e-9, $"log A at q {q}, z {z}, order {order}", absolute: 1e-15);
        }
    }

    [Fact]
    public void WithEverySiteInEveryRoundItIsThePlainGaussianMechanism()
    {
        const double z = 1.3;
        const int rounds = 40;
        var accountant = new RdpAccountant();
        for (int round = 0; round < rounds; round++) accountant.Compose(z, samplingRate: 1);

        Assert.Equal(rounds, accountant.Steps);
        for (int i = 0; i < accountant.Orders.Count; i++)
            AssertClose(rounds * accountant.Orders[i] / (2 * z * z), accountant.Rdp[i], 1e-14, $"order {accountant.Orders[i]}");
        double delta = 1e-5;
        double closedForm = accountant.Orders.Min(a =>
            rounds * a / (2 * z * z) - (Math.Log(delta) + Math.Log(a)) / (a - 1) + Math.Log((a - 1) / a));
        AssertClose(closedForm, accountant.Guarantee(delta).Epsilon, 1e-14, "ε");
    }

    [Fact]
    public void NoRoundsCostNothingAndNoNoiseCostsEverything()
    {
        var accountant = new RdpAccountant();
        Assert.Equal(new PrivacyGuarantee(0, 1e-5, 1.25), accountant.Guarantee(1e-5));

        accountant.Compose(noiseMultiplier: 0, samplingRate: 1);
        var spent = accountant.Guarantee(1e-5);
        Assert.Equal(double.PositiveInfinity, spent.Epsilon);
        Assert.True(double.IsNaN(spent.BestOrder));
    }

    [Fact]
    public void TheDefaultOrdersAreTheDocumentedGrid()
    {
        double[] expected = [1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5, .. Enumerable.Range(5, 59).Select(o => (double)o), 128, 256, 512];
        Assert.Equal(expected, RdpAccountant.DefaultOrders);
        Assert.Equal(72, RdpAccountant.DefaultOrders.Count);
    }

    [Fact]
    public void BadArgumentsAreRefusedByName()
    {
        var accountant = new RdpAccountant();
        Assert.Equal("samplingRate", Assert.Throws<ArgumentOutOfRangeException>(() => accountant.Compose(1, 0)).ParamName);
        Assert.Equal("samplingRate", Assert.Throws<ArgumentOutOfRangeException>(() => accountant.Compose(1, 1.5)).ParamName);
        Assert.Equal("noiseMultiplier", Assert.Throws<ArgumentOutOfRangeException>(() => accountant.Compose(-1, 1)).ParamName);
        Assert.Equal("noiseMultiplier", Assert.Throws<ArgumentOutOfRangeException>(() => accountant.Compose(double.NaN, 1)).ParamName);
        Assert.Equal("steps", Assert.Throws<ArgumentOutOfRangeException>(() => accountant.Compose(1, 1, -1)).ParamName);
        Assert.Equal("order", Assert.Throws<ArgumentOutOfRangeException>(() => new RdpAccountant([2, 1])).ParamName);
        Assert.Throws<ArgumentException>(() => new RdpAccountant([]));
        Assert.Equal("delta", Assert.Throws<ArgumentOutOfRangeException>(() => accountant.Guarantee(0)).ParamName);
        Assert.Equal("delta", Assert.Throws<ArgumentOutOfRangeException>(() => accountant.Guarantee(1)).ParamName);
    }
}
