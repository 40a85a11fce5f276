namespace FedPrompt.Federation.Privacy;

/// <summary>
/// Tracks the privacy a run has spent: Rényi DP adds up under composition, order by order, so the
/// accountant keeps one running total per order of a fixed grid and converts to (ε, δ) on request,
/// taking the best order.
/// </summary>
public sealed class RdpAccountant
{
    /// <summary>Orders past this are refused: an integer order costs one series term per unit, and
    /// the useful ones for realistic budgets are below a few hundred.</summary>
    public const double MaxOrder = 1 << 20;

    /// <summary>
    /// The default grid: 1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5, every integer 5 … 63, 128,
    /// 256, 512 (72 orders) — the grid of TF Privacy's compute_dp_sgd_privacy and dp_accounting's RDP
    /// accountant. Large budgets (many rounds with little noise) have their best order near 1, below
    /// this grid; their ε is then an honest but loose upper bound.
    /// </summary>
    public static IReadOnlyList<double> DefaultOrders { get; } =
        [1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5, .. Enumerable.Range(5, 59).Select(order => (double)order), 128, 256, 512];

    readonly double[] _rdp;

    public RdpAccountant(IReadOnlyList<double>? orders = null)
    {
        Orders = orders?.ToArray() ?? DefaultOrders;
        if (Orders.Count == 0) throw new ArgumentException("the accountant needs at least one order");
        foreach (double order in Orders) RequireValidOrder(order);
        _rdp = new double[Orders.Count];
    }

    public IReadOnlyList<double> Orders { get; }

    /// <summary>The RDP spent so far at each of <see cref="Orders"/>.</summary>
    public IReadOnlyList<double> Rdp => _rdp;

    /// <summary>How many mechanism applications have been composed.</summary>
    public long Steps { get; private set; }

    /// <summary>Records <paramref name="steps"/> applications of the sampled Gaussian mechanism
    /// (noise multiplier relative to its sensitivity; sampling rate 1 for none).</summary>
    public void Compose(double noiseMultiplier, double samplingRate, long steps = 1)
    {
        SampledGaussianRdp.RequireValid(samplingRate, noiseMultiplier);
        if (steps < 0) throw new ArgumentOutOfRangeException(nameof(steps), steps, "the number of steps must be ≥ 0");
        if (steps == 0) return;
        for (int i = 0; i < _rdp.Length; i++)
            _rdp[i] += steps * SampledGaussianRdp.Rdp(samplingRate, noiseMultiplier, Orders[i]);
        Steps += steps;
    }

    public PrivacyGuarantee Guarantee(double delta, RdpConversion conversion = RdpConversion.Improved) =>
        ApproximateDp.FromRdp(Orders, _rdp, delta, conversion);

    internal static void RequireValidOrder(double order)
    {
        if (!(order > 1 && order <= MaxOrder))
            throw new ArgumentOutOfRangeException(nameof(order), order, $"a Rényi order must be > 1 and ≤ {MaxOrder}");
    }
}
