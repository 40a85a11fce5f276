namespace FedPrompt.Tuning.Data;

/// <summary>One site's file written by <see cref="SiteSplitter.Split"/>.</summary>
/// <param name="SiteName">"site-1", "site-2", …: the file name without ".jsonl".</param>
/// <param name="LabelCounts">
/// Records per value of the "label" field, keys in ordinal order and exactly as stored
/// (PhraseBank labels keep NeMo's leading space: " positive"); records without the field are not counted.
/// </param>
public sealed record SiteShard(string SiteName, string FilePath, int RecordCount, IReadOnlyDictionary<string, int> LabelCounts);

/// <summary>What <see cref="SiteSplitter.Split"/> wrote.</summary>
/// <param name="RecordCount">Records read from the input, the sum over the sites.</param>
/// <param name="DirichletAlpha">The concentration of a label-skewed split, or null for NVFlare's even split.</param>
public sealed record SiteSplit(int RecordCount, uint Seed, double? DirichletAlpha, IReadOnlyList<SiteShard> Sites);
