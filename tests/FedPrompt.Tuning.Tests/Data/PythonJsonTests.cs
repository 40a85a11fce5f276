using FedPrompt.Testing;
using System.Text.Json;
using FedPrompt.Formats;

namespace FedPrompt.Tuning.Tests.Data;

public sealed class PythonJsonTests
{
    public static TheoryData<int> EscapingCases() => [.. Enumerable.Range(0, File.ReadAllLines(RepositoryFiles.Fixture("edge", "escaping_cases.jsonl")).Length)];

    [Theory]
    [MemberData(nameof(EscapingCases))]
    public void EncodesLikeJsonDumpsAndPandas(int caseIndex)
    {
        using var reference = JsonDocument.Parse(File.ReadAllLines(RepositoryFiles.Fixture("edge", "escaping_cases.jsonl"))[caseIndex]);
        string input = reference.RootElement.GetProperty("input").GetString()!;
        KeyValuePair<string, string>[] record = [new("taskname", "sentiment"), new("sentence", input), new("label", " neutral")];

        Assert.Equal(reference.RootElement.GetProperty("json_dumps").GetString(), PythonJson.JsonDumps.EncodeObject(record));
        Assert.Equal(reference.RootElement.GetProperty("pandas_to_json").GetString(), PythonJson.PandasRecords.EncodeObject(record) + "\n");
    }

    [Fact]
    public void KeepsFieldOrderAndEscapesKeys()
    {
        KeyValuePair<string, string>[] record = [new("z/\u00e9", "1"), new("a", "2")];

        Assert.Equal("{\"z/\\u00e9\": \"1\", \"a\": \"2\"}", PythonJson.JsonDumps.EncodeObject(record));
        Assert.Equal("{\"z\\/\\u00e9\":\"1\",\"a\":\"2\"}", PythonJson.PandasRecords.EncodeObject(record));
    }

    [Fact]
    public void EncodesAnEmptyObject()
    {
        Assert.Equal("{}", PythonJson.JsonDumps.EncodeObject([]));
    }
}
