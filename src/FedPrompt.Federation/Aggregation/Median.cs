namespace FedPrompt.Federation.Aggregation;

/// <summary>The median: the middle value, or the mean of the middle two for an even count.</summary>
public static class Median
{
    public static double OfSorted(IReadOnlyList<double> sorted) =>
        sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;

    public static double Of(IEnumerable<double> values) => OfSorted(values.Order().ToList());
}
