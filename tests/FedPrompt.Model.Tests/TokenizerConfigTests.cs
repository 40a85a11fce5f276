using System.Text.Json.Nodes;
using FedPrompt.Testing;

namespace FedPrompt.Model.Tests;

/// <summary>Which tokenizer a folder has, where its special ids come from, and errors that name the
/// file and the problem.</summary>
public class TokenizerConfigTests
{
    const int BeginOfText = 700, EndOfText = 701, EndOfMessage = 708, EndOfTurn = 709;

    /// <summary>A folder with a copy of a fixture's tokenizer file (tokenizer.json or tokenizer.model) and nothing else.</summary>
    static TemporaryDirectory TokenizerOnly(string fixture, string file = "tokenizer.json")
    {
        var folder = new TemporaryDirectory();
        File.Copy(Path.Combine(TokenizerFormatTests.Folder(fixture), file), folder.File(file));
        return folder;
    }

    static void Write(TemporaryDirectory folder, string file, JsonNode json) => folder.Write(file, json.ToJsonString());

    static void EditTokenizerJson(TemporaryDirectory folder, Action<JsonObject> edit)
    {
        var json = JsonNode.Parse(File.ReadAllText(folder.File("tokenizer.json")))!.AsObject();
        edit(json);
        Write(folder, "tokenizer.json", json);
    }

    [Fact]
    public void EachSpecialIdComesFromTheFirstFileThatNamesIt()
    {
        using var folder = TokenizerOnly("llama3");
        Write(folder, "tokenizer_config.json", new JsonObject { ["eos_token"] = "<|eot_id|>", ["bos_token"] = new JsonObject { ["content"] = "<|end_of_text|>" } });
        var fromTokenizerConfig = TextTokenizer.ForFolder(folder.Path);
        Assert.Equal([EndOfTurn], fromTokenizerConfig.StopIds);
        Assert.Equal(EndOfText, fromTokenizerConfig.BeginningOfTextId);

        Write(folder, "config.json", new JsonObject { ["model_type"] = "llama", ["eos_token_id"] = EndOfText, ["bos_token_id"] = BeginOfText });
        var fromConfig = TextTokenizer.ForFolder(folder.Path);
        Assert.Equal([EndOfText], fromConfig.StopIds);
        Assert.Equal(BeginOfText, fromConfig.BeginningOfTextId);

        Write(folder, "generation_config.json", new JsonObject { ["eos_token_id"] = new JsonArray(EndOfMessage, EndOfTurn) });
        var fromGenerationConfig = TextTokenizer.ForFolder(folder.Path);
        Assert.Equal([EndOfMessage, EndOfTurn], fromGenerationConfig.StopIds);
        Assert.Equal(EndOfMessage, fromGenerationConfig.EndOfTextId);
        Assert.Equal(BeginOfText, fromGenerationConfig.BeginningOfTextId);
    }

    [Fact]
    public void AListValuedEosInConfigJsonKeepsEveryStopId()
    {
        using var folder = TokenizerOnly("llama3");
        Write(folder, "config.json", new JsonObject { ["eos_token_id"] = new JsonArray(EndOfText, EndOfMessage, EndOfTurn), ["bos_token_id"] = null });
        var tokenizer = TextTokenizer.ForFolder(folder.Path);
        Assert.Equal([EndOfText, EndOfMessage, EndOfTurn], tokenizer.StopIds);
        Assert.Equal(EndOfText, tokenizer.EndOfTextId);
        Assert.Equal(BeginOfText, tokenizer.BeginningOfTextId); // from the post_processor's template
    }

    [Fact]
    public void AddBosTokenInTokenizerConfigDecidesOverThePostProcessor()
    {
        using var llama = TokenizerOnly("llama3");
        Write(llama, "tokenizer_config.json", new JsonObject { ["eos_token"] = "<|end_of_text|>" });
        Assert.True(TextTokenizer.ForFolder(llama.Path).AddsBeginningOfText);
        Write(llama, "tokenizer_config.json", new JsonObject { ["add_bos_token"] = false, ["eos_token"] = "<|end_of_text|>" });
        Assert.False(TextTokenizer.ForFolder(llama.Path).AddsBeginningOfText);

        using var qwen = TokenizerOnly("qwen3");
        Write(qwen, "tokenizer_config.json", new JsonObject { ["add_bos_token"] = true, ["bos_token"] = "<|endoftext|>" });
        var tokenizer = TextTokenizer.ForFolder(qwen.Path);
        Assert.True(tokenizer.AddsBeginningOfText);
        Assert.Equal(700, tokenizer.BeginningOfTextId);

        using var sentencePiece = TokenizerOnly("sentencepiece", "tokenizer.model");
        Write(sentencePiece, "tokenizer_config.json", new JsonObject { ["add_bos_token"] = false });
        Assert.False(TextTokenizer.ForFolder(sentencePiece.Path).AddsBeginningOfText);
    }

    [Fact]
    public void ATemplateProcessingOfItsOwnAddsTheBeginningOnlyWhenItsTemplateStartsWithASpecialToken()
    {
        using var folder = TokenizerOnly("llama3");
        Write(folder, "config.json", new JsonObject { ["eos_token_id"] = EndOfText });
        EditTokenizerJson(folder, json => json["post_processor"] = json["post_processor"]!["processors"]![1]!.DeepClone());
        Assert.True(TextTokenizer.ForFolder(folder.Path).AddsBeginningOfText);
        EditTokenizerJson(folder, json => json["post_processor"]!["single"]!.AsArray().RemoveAt(0));
        var tokenizer = TextTokenizer.ForFolder(folder.Path);
        Assert.False(tokenizer.AddsBeginningOfText);
        Assert.Null(tokenizer.BeginningOfTextId);
    }

    [Fact]
    public void ASentencePieceConversionInTokenizerJsonGivesWayToTheTokenizerModel()
    {
        using var folder = TokenizerOnly("sentencepiece", "tokenizer.model");
        Write(folder, "tokenizer.json", new JsonObject { ["model"] = new JsonObject { ["type"] = "BPE", ["byte_fallback"] = true } });
        Assert.StartsWith("SentencePiece BPE", TextTokenizer.ForFolder(folder.Path).Description);
        File.Delete(folder.File("tokenizer.model"));
        var error = Assert.Throws<NotSupportedException>(() => TextTokenizer.ForFolder(folder.Path));
        Assert.Contains(folder.File("tokenizer.json"), error.Message);
        Assert.Contains("byte_fallback", error.Message);
    }

    [Fact]
    public void AFolderWithoutATokenizerIsGpt2OnlyWhenTheCallerSaysSo()
    {
        using var folder = new TemporaryDirectory();
        var error = Assert.Throws<FileNotFoundException>(() => TextTokenizer.ForFolder(folder.Path));
        Assert.Contains(folder.Path, error.Message);
        foreach (var file in new[] { "tokenizer.json", "vocab.json", "merges.txt", "tokenizer.model" }) Assert.Contains(file, error.Message);
        Assert.Same(TextTokenizer.Gpt2(), TextTokenizer.ForFolder(folder.Path, packagedGpt2WhenAbsent: true));

        File.Copy(RepositoryFiles.Engine("tiny-gpt2/vocab.json"), folder.File("vocab.json"));
        var missing = Assert.Throws<FileNotFoundException>(() => TextTokenizer.ForFolder(folder.Path, packagedGpt2WhenAbsent: true));
        Assert.Contains(folder.File("merges.txt"), missing.Message);
    }

    public static TheoryData<string, string, string> BrokenTokenizerJson => new()
    {
        { "not JSON", "not valid JSON", nameof(InvalidDataException) },
        { "no model", "no \"model\"", nameof(InvalidDataException) },
        { "WordPiece", "model type WordPiece is not supported", nameof(NotSupportedException) },
        { "Unigram", "model type Unigram is not supported", nameof(NotSupportedException) },
        { "unknown merge token", "names \"zzz\", which is not in the vocabulary", nameof(InvalidDataException) },
        { "Whitespace pre-tokenizer", "pre_tokenizer Whitespace is not supported", nameof(NotSupportedException) },
        { "Removed split", "Split with behavior Removed is not supported", nameof(NotSupportedException) },
        { "inverted split", "invert true is not supported", nameof(NotSupportedException) },
        { "no ByteLevel", "does not end in ByteLevel", nameof(NotSupportedException) },
        { "Lowercase normalizer", "normalizer Lowercase is not supported", nameof(NotSupportedException) },
        { "lstrip added token", "added token <|eot_id|> has lstrip true", nameof(NotSupportedException) },
    };

    [Theory]
    [MemberData(nameof(BrokenTokenizerJson))]
    public void AMalformedOrUnsupportedTokenizerJsonIsRefusedWithTheFileAndTheProblem(string breakage, string problem, string exception)
    {
        using var folder = TokenizerOnly("llama3");
        JsonObject Model(JsonObject json) => json["model"]!.AsObject();
        JsonObject Split(JsonObject json) => json["pre_tokenizer"]!["pretokenizers"]![0]!.AsObject();
        if (breakage == "not JSON") folder.Write("tokenizer.json", "{\"model\": ");
        else EditTokenizerJson(folder, json =>
        {
            switch (breakage)
            {
                case "no model": json.Remove("model"); break;
                case "WordPiece" or "Unigram": Model(json)["type"] = breakage; break;
                case "unknown merge token": Model(json)["merges"]!.AsArray().Insert(0, "Ġ zzz"); break;
                case "Whitespace pre-tokenizer": json["pre_tokenizer"]!["pretokenizers"]!.AsArray().Insert(0, new JsonObject { ["type"] = "Whitespace" }); break;
                case "Removed split": Split(json)["behavior"] = "Removed"; break;
                case "inverted split": Split(json)["invert"] = true; break;
                case "no ByteLevel": json["pre_tokenizer"]!["pretokenizers"]!.AsArray().RemoveAt(1); break;
                case "Lowercase normalizer": json["normalizer"] = new JsonObject { ["type"] = "Lowercase" }; break;
                case "lstrip added token": json["added_tokens"]!.AsArray().Single(t => (string?)t!["content"] == "<|eot_id|>")!["lstrip"] = true; break;
            }
        });
        var error = Record.Exception(() => TextTokenizer.ForFolder(folder.Path));
        Assert.NotNull(error);
        Assert.Equal(exception, error.GetType().Name);
        Assert.Contains(folder.File("tokenizer.json"), error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Theory]
    [InlineData("tokenizer_config.json", "{\"eos_token\": \"<|nonexistent|>\"}", "eos_token \"<|nonexistent|>\" is not a token")]
    [InlineData("config.json", "{\"eos_token_id\": 50256}", "eos_token_id 50256 is not a token of the tokenizer, which has 711")]
    [InlineData("generation_config.json", "{\"eos_token_id\": \"</s>\"}", "is \"</s>\", not a token id")]
    [InlineData("tokenizer_config.json", "[1, 2", "not valid JSON")]
    [InlineData("config.json", "[1, 2]", "not a JSON object")]
    public void ASpecialIdThatIsNotATokenIsRefusedWithTheFile(string file, string content, string problem)
    {
        using var folder = TokenizerOnly("llama3");
        folder.Write(file, content);
        var error = Assert.Throws<InvalidDataException>(() => TextTokenizer.ForFolder(folder.Path));
        Assert.Contains(folder.File(file), error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void ATokenizerModelThatIsNotSentencePieceIsRefusedWithItsPath()
    {
        using var folder = new TemporaryDirectory();
        folder.Write("tokenizer.model", "not a protobuf at all, just some text");
        var error = Assert.Throws<InvalidDataException>(() => TextTokenizer.ForFolder(folder.Path));
        Assert.Contains(folder.File("tokenizer.model"), error.Message);
    }
}
