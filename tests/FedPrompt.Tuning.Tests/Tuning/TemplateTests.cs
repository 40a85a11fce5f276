using System.Text.Json.Nodes;
using FedPrompt.Formats.Settings;
using FedPrompt.Model;
using FedPrompt.Testing;
using FedPrompt.Tuning.Data;
using FedPrompt.Tuning.Templates;

namespace FedPrompt.Tuning.Tests.Tuning;

public class TemplateTests
{
    static readonly TextTokenizer Tokenizer = TextTokenizer.Gpt2();

    static JsonlRecord Record(string sentence, string label, int line = 1) =>
        new([new("taskname", "sentiment"), new("sentence", sentence), new("label", label)], line);

    [Fact]
    public void TheReferenceTemplateRendersTheReferenceExample()
    {
        var formatter = new PromptFormatter(TaskTemplate.FinancialPhraseBank, Tokenizer, virtualTokensAtInput: true, modelPositions: 1024);
        var (examples, report) = formatter.FormatForTraining([Record("The agreement is valid for four years .", " neutral")], "x.jsonl");
        var example = Assert.Single(examples);

        // The whitespace after the marker goes, as NeMo's tokenizer strips it around special tokens.
        int[] text = [.. Tokenizer.Encode("The agreement is valid for four years . sentiment: neutral")];
        Assert.Equal([.. Enumerable.Repeat(TokenizedExample.Virtual, 10), .. text, 50256], example.Tokens);
        // The answer is the label token (" neutral" = 8500) and the end of text.
        Assert.Equal(example.Length - 2, example.AnswerStart);
        Assert.Equal([8500, 50256], example.Tokens[example.AnswerStart..]);
        Assert.Equal(new FormattingReport(1, 0, 0), report);

        var prompt = formatter.FormatPrompt(new Dictionary<string, string> { ["sentence"] = "The agreement is valid for four years ." }, "cli");
        Assert.Equal(example.Tokens[..^2], prompt.Tokens);
        Assert.Equal("The agreement is valid for four years . sentiment:", Tokenizer.Decode(prompt.Tokens[10..]));
    }

    [Fact]
    public void DeepPromptsLeaveTheInputWithoutVirtualTokens()
    {
        var formatter = new PromptFormatter(TaskTemplate.FinancialPhraseBank, Tokenizer, virtualTokensAtInput: false, modelPositions: 1024);
        var (examples, _) = formatter.FormatForTraining([Record("Sales rose .", " positive")], "x.jsonl");
        Assert.DoesNotContain(TokenizedExample.Virtual, examples[0].Tokens);
        Assert.Equal([.. Tokenizer.Encode("Sales rose . sentiment: positive"), 50256], examples[0].Tokens);
    }

    [Fact]
    public void SplitMarkersPlaceTheirVirtualTokens()
    {
        var template = TaskTemplate.FinancialPhraseBank with
        {
            PromptTemplate = "<|VIRTUAL_PROMPT_0|> {sentence} <|VIRTUAL_PROMPT_1|> sentiment:{label}",
            VirtualTokenSplits = [4, 6],
        };
        var formatter = new PromptFormatter(template.Validated("test"), Tokenizer, true, 1024);
        var tokens = formatter.FormatForTraining([Record("Up .", " positive")], "x.jsonl").Examples[0].Tokens;
        int up = Tokenizer.Encode("Up .").Count;
        Assert.Equal(Enumerable.Repeat(TokenizedExample.Virtual, 4), tokens[..4]);
        Assert.Equal(Enumerable.Repeat(TokenizedExample.Virtual, 6), tokens[(4 + up)..(10 + up)]);
    }

    [Fact]
    public void OverLongExamplesAreDroppedOrTruncated()
    {
        var longSentence = string.Join(" ", Enumerable.Repeat("profit", 40)) + " .";
        var records = new[] { Record(longSentence, " positive", 1), Record("Short .", " negative", 2) };
        var dropping = new PromptFormatter(TaskTemplate.FinancialPhraseBank with { MaxSeqLength = 30 }, Tokenizer, true, 1024);
        var (kept, report) = dropping.FormatForTraining(records, "x.jsonl");
        Assert.Equal(new FormattingReport(1, 0, 1), report);
        Assert.Equal(" negative", kept[0].Answer);

        var truncating = new PromptFormatter(TaskTemplate.FinancialPhraseBank with { MaxSeqLength = 30, TruncateField = "sentence" }, Tokenizer, true, 1024);
        var (both, truncatedReport) = truncating.FormatForTraining(records, "x.jsonl");
        Assert.Equal(new FormattingReport(2, 1, 0), truncatedReport);
        Assert.True(both[0].Length <= 30);
        Assert.Equal([3967, 50256], both[0].Tokens[both[0].AnswerStart..]);
    }

    [Theory]
    [InlineData("{\"taskname\":\"t\",\"prompt_template\":\"{sentence} sentiment:{label}\",\"total_virtual_tokens\":10,\"virtual_token_splits\":[10],\"answer_field\":\"label\"}", "no <|VIRTUAL_PROMPT_0|> marker")]
    [InlineData("{\"taskname\":\"t\",\"prompt_template\":\"<|VIRTUAL_PROMPT_0|> {sentence} sentiment:{label}\",\"total_virtual_tokens\":10,\"virtual_token_splits\":[4,4],\"answer_field\":\"label\"}", "1 virtual prompt marker(s) but 2 virtual_token_splits")]
    [InlineData("{\"taskname\":\"t\",\"prompt_template\":\"<|VIRTUAL_PROMPT_0|> {sentence} sentiment:{label}\",\"total_virtual_tokens\":10,\"virtual_token_splits\":[8],\"answer_field\":\"label\"}", "sum to 8, not total_virtual_tokens 10")]
    [InlineData("{\"taskname\":\"t\",\"prompt_template\":\"<|VIRTUAL_PROMPT_0|> {sentence} sentiment:{label}\",\"total_virtual_tokens\":10,\"virtual_token_splits\":[10],\"answer_field\":\"answer\"}", "no {answer} slot")]
    [InlineData("{\"taskname\":\"t\",\"prompt_template\":\"<|VIRTUAL_PROMPT_0|> {label} {sentence}\",\"total_virtual_tokens\":10,\"virtual_token_splits\":[10],\"answer_field\":\"label\"}", "must end the template")]
    [InlineData("{\"taskname\":\"t\",\"prompt_template\":\"<|VIRTUAL_PROMPT_0|> {sentence} sentiment:{label}\",\"total_virtual_tokens\":10,\"virtual_token_splits\":[10],\"answer_field\":\"label\",\"colour\":1}", "unknown template key(s): colour")]
    [InlineData("{\"taskname\":\"t\",\"prompt_template\":\"<|VIRTUAL_PROMPT_0|> {sentence} sentiment:{label}\",\"total_virtual_tokens\":\"ten\",\"virtual_token_splits\":[10],\"answer_field\":\"label\"}", "\"total_virtual_tokens\" has the wrong type")]
    public void BadTemplatesAreRefusedWithTheProblemNamed(string json, string problem)
    {
        using var folder = new TemporaryDirectory();
        var path = folder.Write("template.json", json);
        var error = Assert.Throws<InvalidDataException>(() => TaskTemplate.Load(path));
        Assert.Contains(problem, error.Message);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void BadRecordsNameTheFileLineAndProblem()
    {
        var formatter = new PromptFormatter(TaskTemplate.FinancialPhraseBank, Tokenizer, true, 1024);
        string[] answers = [" positive", " negative", " neutral"];

        var unknownLabel = Assert.Throws<DataFormatException>(() => formatter.FormatForTraining([Record("Up .", " great", 7)], "d.jsonl", answers));
        Assert.Equal("d.jsonl:7: label \" great\" is not one of the task's answers (\" positive\", \" negative\", \" neutral\")", unknownLabel.Message);

        var empty = Assert.Throws<DataFormatException>(() => formatter.FormatForTraining([Record("  ", " positive", 3)], "d.jsonl", answers));
        Assert.Equal("d.jsonl:3: the \"sentence\" field is empty", empty.Message);

        var missing = Assert.Throws<DataFormatException>(() => formatter.FormatForTraining(
            [new JsonlRecord([new("text", "Up ."), new("label", " positive")], 5)], "d.jsonl", answers));
        Assert.StartsWith("d.jsonl:5: no \"sentence\" field", missing.Message);
    }
}
