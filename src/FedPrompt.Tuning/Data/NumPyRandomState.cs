namespace FedPrompt.Tuning.Data;

/// <summary>
/// The parts of NumPy's legacy <c>numpy.random.RandomState</c> that pandas' <c>sample</c> and the
/// Dirichlet site split use, reproduced bit for bit (the legacy stream is frozen by NumPy's
/// compatibility policy, so these draws do not change between NumPy versions).
/// </summary>
public sealed class NumPyRandomState
{
    private readonly MersenneTwister19937 _generator;

    // The polar Box–Muller method makes normals in pairs; legacy gauss keeps the second for the next call.
    private double? _cachedGauss;

    /// <summary>Equivalent of <c>RandomState(seed)</c> for an integer seed, which NumPy limits to 32 bits.</summary>
    public NumPyRandomState(uint seed)
    {
        _generator = MersenneTwister19937.FromSeed(seed);
    }

    /// <summary><c>random_sample()</c>: a double in [0, 1).</summary>
    public double NextDouble() => _generator.NextDouble();

    /// <summary>
    /// <c>shuffle(items)</c>: Fisher–Yates from the end, each index drawn by masked rejection
    /// (<c>random_interval</c>), in place.
    /// </summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = RandomInterval((uint)i);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>
    /// <c>permutation(count)</c>: a shuffled <c>arange(count)</c>. Also what
    /// <c>choice(count, size=count, replace=False)</c> returns, and hence <c>DataFrame.sample(frac=1)</c>.
    /// </summary>
    public int[] Permutation(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        int[] indices = new int[count];
        for (int i = 0; i < count; i++)
        {
            indices[i] = i;
        }

        Shuffle(indices);
        return indices;
    }

    /// <summary>
    /// One draw of <c>dirichlet(alpha)</c>: a standard gamma per component, divided by their sum
    /// (multiplied by its reciprocal, as the legacy code does).
    /// </summary>
    public double[] Dirichlet(ReadOnlySpan<double> alpha)
    {
        if (alpha.IsEmpty)
        {
            throw new ArgumentException("Dirichlet needs at least one concentration parameter.", nameof(alpha));
        }

        foreach (double a in alpha)
        {
            if (!(a > 0) || double.IsInfinity(a))
            {
                throw new ArgumentOutOfRangeException(nameof(alpha), a, "Dirichlet concentration parameters must be positive and finite.");
            }
        }

        double[] draws = new double[alpha.Length];
        double sum = 0.0;
        for (int i = 0; i < alpha.Length; i++)
        {
            draws[i] = StandardGamma(alpha[i]);
            sum += draws[i];
        }

        double inverseSum = 1.0 / sum;
        for (int i = 0; i < draws.Length; i++)
        {
            draws[i] *= inverseSum;
        }

        return draws;
    }

    /// <summary>
    /// Legacy <c>random_interval</c>: uniform in [0, max] by drawing 32-bit outputs, masking them to
    /// the smallest all-ones mask covering <paramref name="max"/> and retrying while too large.
    /// </summary>
    private int RandomInterval(uint max)
    {
        if (max == 0)
        {
            return 0;
        }

        uint mask = max;
        mask |= mask >> 1;
        mask |= mask >> 2;
        mask |= mask >> 4;
        mask |= mask >> 8;
        mask |= mask >> 16;
        uint value;
        do
        {
            value = _generator.NextUInt32() & mask;
        }
        while (value > max);

        return (int)value;
    }

    /// <summary>Legacy <c>standard_gamma</c>: Johnk-style rejection below shape 1, Marsaglia–Tsang above.</summary>
    private double StandardGamma(double shape)
    {
        if (shape == 1.0)
        {
            return StandardExponential();
        }

        if (shape < 1.0)
        {
            while (true)
            {
                double u = NextDouble();
                double v = StandardExponential();
                if (u <= 1.0 - shape)
                {
                    double x = Math.Pow(u, 1.0 / shape);
                    if (x <= v)
                    {
                        return x;
                    }
                }
                else
                {
                    double y = -Math.Log((1 - u) / shape);
                    double x = Math.Pow(1.0 - shape + shape * y, 1.0 / shape);
                    if (x <= v + y)
                    {
                        return x;
                    }
                }
            }
        }

        double b = shape - 1.0 / 3.0;
        double c = 1.0 / Math.Sqrt(9 * b);
        while (true)
        {
            double x;
            double v;
            do
            {
                x = Gauss();
                v = 1.0 + c * x;
            }
            while (v <= 0.0);

            v = v * v * v;
            double u = NextDouble();
            if (u < 1.0 - 0.0331 * (x * x) * (x * x))
            {
                return b * v;
            }

            if (Math.Log(u) < 0.5 * x * x + b * (1.0 - v + Math.Log(v)))
            {
                return b * v;
            }
        }
    }

    /// <summary>Legacy <c>standard_exponential</c>: -log(1 - U), since U can be 0 but never 1.</summary>
    private double StandardExponential() => -Math.Log(1.0 - NextDouble());

    /// <summary>Legacy <c>gauss</c>: the polar method, returning the second of each pair first.</summary>
    private double Gauss()
    {
        if (_cachedGauss is double cached)
        {
            _cachedGauss = null;
            return cached;
        }

        double x1;
        double x2;
        double r2;
        do
        {
            x1 = 2.0 * NextDouble() - 1.0;
            x2 = 2.0 * NextDouble() - 1.0;
            r2 = x1 * x1 + x2 * x2;
        }
        while (r2 >= 1.0 || r2 == 0.0);

        double f = Math.Sqrt(-2.0 * Math.Log(r2) / r2);
        _cachedGauss = f * x1;
        return f * x2;
    }
}
