using System.Text.Json;

namespace FedPrompt.Testing;

/// <summary>Files committed in the repository, found from the test binaries by walking up to the solution.</summary>
public static class RepositoryFiles
{
    private static readonly Lazy<string> RootFolder = new(FindRoot);

    /// <summary>The repository's root folder (where FedPrompt.slnx is).</summary>
    public static string Root => RootFolder.Value;

    public static string PhraseBankAllAgree => Path.Combine(RootFolder.Value, "data", "financial_phrasebank", "Sentences_AllAgree.txt");

    /// <summary>A path under tests/fixtures/data/ (written by tools/make_data_fixtures.py).</summary>
    public static string Fixture(params string[] parts) => Path.Combine([RootFolder.Value, "tests", "fixtures", "data", .. parts]);

    /// <summary>A path under tests/fixtures/engine/ (written by tools/make_engine_fixtures.py).</summary>
    public static string Engine(string name) => Path.Combine(RootFolder.Value, "tests", "fixtures", "engine", name);

    public static JsonElement EngineExpected => EngineExpectedDocument.Value.RootElement;

    static readonly Lazy<JsonDocument> EngineExpectedDocument = new(() => JsonDocument.Parse(File.ReadAllBytes(Engine("expected.json"))));

    /// <summary>tests/fixtures/engine/llama_expected.json: the Llama-family fixtures' reference values (tools/make_llama_fixtures.py).</summary>
    public static JsonElement LlamaExpected => LlamaExpectedDocument.Value.RootElement;

    static readonly Lazy<JsonDocument> LlamaExpectedDocument = new(() => JsonDocument.Parse(File.ReadAllBytes(Engine("llama_expected.json"))));

    /// <summary>A path under tests/fixtures/.</summary>
    public static string Fixtures(params string[] parts) => Path.Combine([RootFolder.Value, "tests", "fixtures", .. parts]);

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
