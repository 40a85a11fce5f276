using FedPrompt.Testing;
using System.Text;
using FedPrompt.Tuning.Data;

namespace FedPrompt.Tuning.Tests.Data;

public sealed class FinancialPhraseBankPreparerTests
{
    private static readonly string[] SplitNames = ["train", "val", "test"];

    [Fact]
    public void AllAgreeIsByteIdenticalToNeMo()
    {
        using var folder = new TemporaryDirectory();

        PreparedDataset prepared = FinancialPhraseBankPreparer.Prepare(RepositoryFiles.PhraseBankAllAgree, folder.Path);

        Assert.Equal(2264, prepared.ExampleCount);
        Assert.Equal((1811, 226, 227), (prepared.Train.RecordCount, prepared.Validation.RecordCount, prepared.Test.RecordCount));
        Assert.Equal(SplitNames, new[] { prepared.Train.Name, prepared.Validation.Name, prepared.Test.Name });
        foreach (string name in SplitNames)
        {
            string fileName = $"financial_phrase_bank_{name}.jsonl";
            Assert.Equal(File.ReadAllBytes(RepositoryFiles.Fixture(fileName)), File.ReadAllBytes(Path.Combine(folder.Path, fileName)));
        }

        Assert.Equal(Path.Combine(folder.Path, "financial_phrase_bank_val.jsonl"), prepared.Validation.FilePath);
    }

    [Fact]
    public void AwkwardCharactersAreByteIdenticalToNeMo()
    {
        using var folder = new TemporaryDirectory();

        PreparedDataset prepared = FinancialPhraseBankPreparer.Prepare(RepositoryFiles.Fixture("edge", "phrase_bank.txt"), folder.Path);

        Assert.Equal(12, prepared.ExampleCount);
        foreach (string name in SplitNames)
        {
            string fileName = $"financial_phrase_bank_{name}.jsonl";
            Assert.Equal(File.ReadAllBytes(RepositoryFiles.Fixture("edge", "prepared", fileName)), File.ReadAllBytes(Path.Combine(folder.Path, fileName)));
        }
    }

    [Fact]
    public void CreatesTheOutputFolder()
    {
        using var folder = new TemporaryDirectory();
        string input = folder.Write("in.txt", "Up .@positive\r\nDown .@negative\r\n");

        PreparedDataset prepared = FinancialPhraseBankPreparer.Prepare(input, folder.File("nested/out"));

        Assert.Equal((1, 0, 1), (prepared.Train.RecordCount, prepared.Validation.RecordCount, prepared.Test.RecordCount));
        Assert.Equal(0, new FileInfo(prepared.Validation.FilePath).Length);
    }

    [Fact]
    public void ExamplesKeepFileOrderAndLineNumbers()
    {
        using var folder = new TemporaryDirectory();
        string input = folder.Write("in.txt", Encoding.Latin1.GetBytes(" Caf\u00e9 rises .\u00a0@ positive \r\nFalls .@negative"));

        IReadOnlyList<JsonlRecord> examples = FinancialPhraseBankPreparer.ReadExamples(input);

        Assert.Equal([new("taskname", "sentiment"), new("sentence", "Caf\u00e9 rises ."), new("label", " positive")], examples[0].Fields);
        Assert.Equal(" negative", examples[1]["label"]);
        Assert.Equal([1, 2], examples.Select(example => example.LineNumber!.Value));
    }

    [Theory]
    [InlineData("Fine .@neutral\nNo separator here\nFine .@neutral\n", 2, "no '@' between sentence and label")]
    [InlineData("Fine .@neutral\r\nMail a@b.com .@neutral\r\n", 2, "more than one '@': cannot tell sentence from label")]
    [InlineData("Fine .@neutral\n\nFine .@neutral\n", 2, "no '@' between sentence and label")]
    [InlineData("Fine .@neu\rtral, as a lone CR ends a line in Python\n", 2, "no '@' between sentence and label")]
    public void NamesTheLineThatIsNotAnExample(string content, int lineNumber, string problem)
    {
        using var folder = new TemporaryDirectory();
        string input = folder.Write("in.txt", content);
        string output = folder.File("out");

        var exception = Assert.Throws<DataFormatException>(() => FinancialPhraseBankPreparer.Prepare(input, output));

        Assert.Equal($"{input}:{lineNumber}: {problem}", exception.Message);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void RefusesAnEmptyFile()
    {
        using var folder = new TemporaryDirectory();
        string input = folder.Write("in.txt", "");

        var exception = Assert.Throws<DataFormatException>(() => FinancialPhraseBankPreparer.Prepare(input, folder.Path));

        Assert.Equal($"{input}: no examples: the file is empty", exception.Message);
        Assert.Null(exception.LineNumber);
    }
}
