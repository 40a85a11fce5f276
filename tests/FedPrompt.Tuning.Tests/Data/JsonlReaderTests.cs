using FedPrompt.Testing;
using FedPrompt.Tuning.Data;

namespace FedPrompt.Tuning.Tests.Data;

public sealed class JsonlReaderTests
{
    [Fact]
    public void ReadsFieldsInOrderWithLineNumbers()
    {
        using var folder = new TemporaryDirectory();
        string path = folder.Write("train.jsonl", "{\"b\": \"x\\/y\", \"a\": \"\\u00e9\\ud83d\\ude00\"}\r\n\n   \n{\"c\":\"caf\u00e9\"}");

        IReadOnlyList<JsonlRecord> records = JsonlReader.ReadAll(path);

        Assert.Equal(2, records.Count);
        Assert.Equal([new("b", "x/y"), new("a", "\u00e9\U0001F600")], records[0].Fields);
        Assert.Equal(1, records[0].LineNumber);
        Assert.Equal("caf\u00e9", records[1]["c"]);
        Assert.Equal(4, records[1].LineNumber);
    }

    [Fact]
    public void SkipsAByteOrderMark()
    {
        using var folder = new TemporaryDirectory();
        string path = folder.Write("bom.jsonl", [0xef, 0xbb, 0xbf, .. "{\"a\": \"b\"}\n"u8]);

        Assert.Equal("b", Assert.Single(JsonlReader.ReadAll(path))["a"]);
    }

    [Fact]
    public void EmptyFileHasNoRecords()
    {
        using var folder = new TemporaryDirectory();

        Assert.Empty(JsonlReader.ReadAll(folder.Write("empty.jsonl", "")));
    }

    [Theory]
    [InlineData("{\"a\": \"b\"", "not valid JSON")]
    [InlineData("{\"a\": \"b\"} {}", "not valid JSON")]
    [InlineData("{'a': 'b'}", "not valid JSON")]
    [InlineData("[\"a\", \"b\"]", "a record must be a JSON object, found an array")]
    [InlineData("\"text\"", "a record must be a JSON object, found a string")]
    [InlineData("{\"label\": 1}", "field \"label\" is a number, not a string")]
    [InlineData("{\"label\": null}", "field \"label\" is null, not a string")]
    [InlineData("{\"label\": true}", "field \"label\" is a boolean, not a string")]
    [InlineData("{\"label\": {\"x\": \"y\"}}", "field \"label\" is an object, not a string")]
    [InlineData("{\"a\": \"1\", \"a\": \"2\"}", "field \"a\" occurs twice")]
    [InlineData("{\"a\": \"\\ud800\"}", "field \"a\" is not valid Unicode text")]
    public void NamesFileAndLineOfAMalformedRecord(string badLine, string problem)
    {
        using var folder = new TemporaryDirectory();
        string path = folder.Write("train.jsonl", "{\"a\": \"ok\"}\n\n" + badLine + "\n{\"a\": \"ok\"}\n");

        var exception = Assert.Throws<DataFormatException>(() => JsonlReader.ReadAll(path));

        Assert.Equal(path, exception.FilePath);
        Assert.Equal(3, exception.LineNumber);
        Assert.StartsWith(problem, exception.Problem);
        Assert.StartsWith($"{path}:3: {problem}", exception.Message);
    }

    [Fact]
    public void RefusesInvalidUtf8()
    {
        using var folder = new TemporaryDirectory();
        string path = folder.Write("latin1.jsonl", [.. "{\"a\": \"ok\"}\n{\"a\": \"caf"u8, 0xe9, .. "\"}\n"u8]);

        var exception = Assert.Throws<DataFormatException>(() => JsonlReader.ReadAll(path));

        Assert.Equal($"{path}:2: not valid UTF-8", exception.Message);
    }

    [Fact]
    public void MissingFieldIsNamed()
    {
        var record = new JsonlRecord([new("sentence", "s")]);

        Assert.Equal("The record has no field \"label\".", Assert.Throws<KeyNotFoundException>(() => record["label"]).Message);
    }
}
