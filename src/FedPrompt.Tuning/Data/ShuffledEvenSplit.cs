namespace FedPrompt.Tuning.Data;

/// <summary>
/// How NVFlare's <c>split_financial_phrase_data.py</c> deals records to sites:
/// <c>df.sample(frac=1, random_state=seed)</c>, which pandas turns into NumPy's legacy
/// <c>RandomState(seed).permutation(n)</c>, then <c>np.array_split</c> into consecutive parts whose
/// sizes differ by at most one, the larger parts first.
/// </summary>
public static class ShuffledEvenSplit
{
    /// <summary>For each site, the indices of its records in the order they are written.</summary>
    public static int[][] Assign(int recordCount, int siteCount, uint seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(recordCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(siteCount, 1);

        int[] shuffled = new NumPyRandomState(seed).Permutation(recordCount);
        int baseSize = recordCount / siteCount;
        int largerParts = recordCount % siteCount;
        var sites = new int[siteCount][];
        int start = 0;
        for (int site = 0; site < siteCount; site++)
        {
            int size = baseSize + (site < largerParts ? 1 : 0);
            sites[site] = shuffled[start..(start + size)];
            start += size;
        }

        return sites;
    }
}
