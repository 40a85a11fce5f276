using System.Text;
using FedPrompt.Formats;


namespace FedPrompt.Tuning.Data;

/// <summary>
/// Splits a JSON Lines training file into one file per simulated site, written as NVFlare's
/// <c>split_financial_phrase_data.py</c> writes them (pandas <c>to_json(orient="records",
/// lines=True)</c>: compact, "/" escaped, a newline after every record), so the even split is
/// byte-identical to NVFlare's for the same seed.
/// </summary>
public static class SiteSplitter
{
    public const string SiteNamePrefix = "site-";

    /// <summary>The field whose values the Dirichlet split skews and the result counts.</summary>
    public const string LabelField = "label";

    /// <summary>
    /// Reads <paramref name="inputPath"/>, deals its records to <paramref name="siteCount"/> sites and
    /// writes <c>site-1.jsonl</c> … into <paramref name="outputDirectory"/> (created if missing),
    /// each atomically. Without <paramref name="dirichletAlpha"/> the split is NVFlare's
    /// (<see cref="ShuffledEvenSplit"/>); with it, label-skewed (<see cref="DirichletLabelSplit"/>).
    /// Every site gets at least one record.
    /// </summary>
    /// <param name="seed">NVFlare's <c>--random_seed</c> (default 0); NumPy allows 32 bits.</param>
    /// <exception cref="DataFormatException">
    /// The input is malformed, has fewer records than sites, its records do not all have the same
    /// fields, or (Dirichlet) a record has no label or no draw gave every site a record.
    /// </exception>
    public static SiteSplit Split(string inputPath, string outputDirectory, int siteCount, uint seed = 0, double? dirichletAlpha = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(siteCount, 1);

        IReadOnlyList<JsonlRecord> records = JsonlReader.ReadAll(inputPath);
        if (records.Count == 0)
        {
            throw new DataFormatException(inputPath, null, "no records to split");
        }

        if (records.Count < siteCount)
        {
            throw new DataFormatException(inputPath, null, $"{records.Count} records cannot give each of {siteCount} sites one");
        }

        string[] columns = Columns(inputPath, records);
        int[][] assignment = dirichletAlpha is double concentration
            ? DirichletLabelSplit.Assign(Labels(inputPath, records), siteCount, concentration, seed)
                ?? throw new DataFormatException(
                    inputPath,
                    null,
                    $"none of {DirichletLabelSplit.MaxDraws} Dirichlet draws (alpha {concentration}, seed {seed}) gave every site a record; "
                    + "use a larger alpha, fewer sites or another seed")
            : ShuffledEvenSplit.Assign(records.Count, siteCount, seed);

        Directory.CreateDirectory(outputDirectory);
        var sites = new SiteShard[siteCount];
        for (int site = 0; site < siteCount; site++)
        {
            sites[site] = WriteSite(outputDirectory, $"{SiteNamePrefix}{site + 1}", columns, assignment[site].Select(i => records[i]));
        }

        return new SiteSplit(records.Count, seed, dirichletAlpha, sites);
    }

    /// <summary>
    /// The field names of the first record, which every record must share. pandas would accept
    /// differing fields and write the missing ones as null, which is no string record; it also
    /// writes every record's fields in the first record's order, which is why that order is kept.
    /// </summary>
    private static string[] Columns(string inputPath, IReadOnlyList<JsonlRecord> records)
    {
        string[] columns = records[0].Fields.Select(field => field.Key).ToArray();
        var expected = new HashSet<string>(columns, StringComparer.Ordinal);
        foreach (JsonlRecord record in records)
        {
            if (record.Fields.Count != expected.Count || !record.Fields.All(field => expected.Contains(field.Key)))
            {
                throw new DataFormatException(
                    inputPath,
                    record.LineNumber,
                    $"fields ({string.Join(", ", record.Fields.Select(field => field.Key))}) differ from those of the first record ({string.Join(", ", columns)})");
            }
        }

        return columns;
    }

    private static string[] Labels(string inputPath, IReadOnlyList<JsonlRecord> records) =>
        records.Select(record => record.TryGetValue(LabelField, out string? label)
                ? label
                : throw new DataFormatException(inputPath, record.LineNumber, $"no \"{LabelField}\" field to split by"))
            .ToArray();

    private static SiteShard WriteSite(string outputDirectory, string siteName, string[] columns, IEnumerable<JsonlRecord> records)
    {
        var content = new StringBuilder();
        var labelCounts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        int count = 0;
        foreach (JsonlRecord record in records)
        {
            PythonJson.PandasRecords.AppendObject(content, columns.Select(column => new KeyValuePair<string, string>(column, record[column])));
            content.Append('\n');
            count++;
            if (record.TryGetValue(LabelField, out string? label))
            {
                labelCounts[label] = labelCounts.GetValueOrDefault(label) + 1;
            }
        }

        string path = Path.Combine(outputDirectory, $"{siteName}.jsonl");
        AtomicFile.WriteAllText(path, content.ToString());
        return new SiteShard(siteName, path, count, labelCounts);
    }
}
