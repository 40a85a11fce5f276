namespace FedPrompt.Tuning.Data;

/// <summary>One written split of a prepared dataset.</summary>
/// <param name="Name">"train", "val" or "test", as in the file name.</param>
public sealed record PreparedSplit(string Name, string FilePath, int RecordCount);

/// <summary>What <see cref="FinancialPhraseBankPreparer.Prepare"/> wrote.</summary>
/// <param name="ExampleCount">Examples read from the input, the sum of the three splits.</param>
public sealed record PreparedDataset(int ExampleCount, PreparedSplit Train, PreparedSplit Validation, PreparedSplit Test);
