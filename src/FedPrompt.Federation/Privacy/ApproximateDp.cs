namespace FedPrompt.Federation.Privacy;

/// <summary>Converts a Rényi-DP curve (ρ at each order α) to (ε, δ)-DP.</summary>
public static class ApproximateDp
{
    public static PrivacyGuarantee FromRdp(IReadOnlyList<double> orders, IReadOnlyList<double> rdp, double delta,
        RdpConversion conversion = RdpConversion.Improved)
    {
        if (orders.Count != rdp.Count) throw new ArgumentException($"{orders.Count} orders but {rdp.Count} RDP values");
        if (!(delta > 0 && delta < 1)) throw new ArgumentOutOfRangeException(nameof(delta), delta, "δ must be between 0 and 1, exclusive");
        var best = new PrivacyGuarantee(double.PositiveInfinity, delta, double.NaN);
        for (int i = 0; i < orders.Count; i++)
        {
            RdpAccountant.RequireValidOrder(orders[i]);
            if (!(rdp[i] >= 0)) throw new ArgumentException($"the RDP at order {orders[i]} is {rdp[i]}; it must be ≥ 0");
            double epsilon = Epsilon(orders[i], rdp[i], delta, conversion);
            if (epsilon < best.Epsilon) best = best with { Epsilon = epsilon, BestOrder = orders[i] };
        }
        return best;
    }

    static double Epsilon(double order, double rdp, double delta, RdpConversion conversion)
    {
        // Zero divergence: the outputs are identically distributed, whatever the conversion says.
        if (rdp == 0) return 0;
        double epsilon = conversion switch
        {
            RdpConversion.Improved => rdp - (Math.Log(delta) + Math.Log(order)) / (order - 1) + Math.Log((order - 1) / order),
            RdpConversion.Classical => rdp - Math.Log(delta) / (order - 1),
            _ => throw new ArgumentOutOfRangeException(nameof(conversion), conversion, null),
        };
        // (ε, δ)-DP for a negative ε implies it for ε = 0.
        return Math.Max(epsilon, 0);
    }
}
