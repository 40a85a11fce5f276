namespace FedPrompt.Tuning.Data;

/// <summary>
/// A label-skewed split for simulating sites whose data differ (the usual Dirichlet partition of
/// federated-learning benchmarks; NVFlare's example itself only has the even split). Smaller
/// alpha gives more skew; large alpha approaches equal shares of every label.
/// </summary>
/// <remarks>
/// Randomness comes from one NumPy legacy <c>RandomState(seed)</c>, so the split can be
/// recomputed in Python (<c>tools/make_data_fixtures.py</c> does). For each label in ordinal order:
/// its records (in file order) are permuted with <c>permutation</c>, site shares are drawn with
/// <c>dirichlet([alpha] * sites)</c>, and the permuted records are cut at
/// <c>int(cumsum(shares)[i] * count)</c> for every site i but the last, which takes the rest. If a site ends up with no record at all, or the shares are unusable
/// (at tiny alpha every gamma can underflow to zero, making them NaN), the whole draw is
/// repeated with the same generator, at most <see cref="MaxDraws"/> times.
/// </remarks>
public static class DirichletLabelSplit
{
    public const int MaxDraws = 1000;

    /// <summary>
    /// For each site, the indices of its records in file order, or null if no draw within
    /// <see cref="MaxDraws"/> gave every site a record.
    /// </summary>
    /// <param name="labels">The label of each record.</param>
    public static int[][]? Assign(IReadOnlyList<string> labels, int siteCount, double alpha, uint seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(siteCount, 1);
        if (!(alpha > 0) || double.IsInfinity(alpha))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "The Dirichlet concentration must be positive and finite.");
        }

        var recordsByLabel = new SortedDictionary<string, List<int>>(StringComparer.Ordinal);
        for (int i = 0; i < labels.Count; i++)
        {
            if (!recordsByLabel.TryGetValue(labels[i], out List<int>? records))
            {
                records = [];
                recordsByLabel.Add(labels[i], records);
            }

            records.Add(i);
        }

        double[] concentration = Enumerable.Repeat(alpha, siteCount).ToArray();
        var random = new NumPyRandomState(seed);
        for (int draw = 0; draw < MaxDraws; draw++)
        {
            List<int>[]? sites = Deal(recordsByLabel.Values, concentration, random);
            if (sites is not null && sites.All(site => site.Count > 0))
            {
                return sites.Select(site => site.Order().ToArray()).ToArray();
            }
        }

        return null;
    }

    /// <summary>One draw of the whole assignment, or null if a draw of shares is unusable.</summary>
    private static List<int>[]? Deal(IEnumerable<List<int>> recordsByLabel, double[] concentration, NumPyRandomState random)
    {
        int siteCount = concentration.Length;
        var sites = new List<int>[siteCount];
        for (int site = 0; site < siteCount; site++)
        {
            sites[site] = [];
        }

        foreach (List<int> records in recordsByLabel)
        {
            int[] order = random.Permutation(records.Count);
            double[] shares = random.Dirichlet(concentration);
            // At tiny alpha every gamma draw can underflow to zero, and 0/0 leaves no shares to deal by.
            if (Array.Exists(shares, double.IsNaN))
            {
                return null;
            }

            double cumulativeShare = 0.0;
            int start = 0;
            for (int site = 0; site < siteCount; site++)
            {
                int end = records.Count;
                if (site < siteCount - 1)
                {
                    cumulativeShare += shares[site];
                    end = (int)(cumulativeShare * records.Count);
                }

                for (int k = start; k < end; k++)
                {
                    sites[site].Add(records[order[k]]);
                }

                start = end;
            }
        }

        return sites;
    }
}
