namespace FedPrompt.Tuning.Tests.Data;

/// <summary>Files committed in the repository, found from the test binaries by walking up to the solution.</summary>
internal static class RepositoryFiles
{
    private static readonly Lazy<string> Root = new(FindRoot);

    public static string PhraseBankAllAgree => Path.Combine(Root.Value, "data", "financial_phrasebank", "Sentences_AllAgree.txt");

    /// <summary>A path under tests/fixtures/data/ (written by tools/make_data_fixtures.py).</summary>
    public static string Fixture(params string[] parts) => Path.Combine([Root.Value, "tests", "fixtures", "data", .. parts]);

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "FedPrompt.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No FedPrompt.slnx above {AppContext.BaseDirectory}.");
    }
}
