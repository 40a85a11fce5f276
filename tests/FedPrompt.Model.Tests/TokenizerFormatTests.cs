using System.Text.Json;
using FedPrompt.Formats.Settings;
using FedPrompt.Testing;

namespace FedPrompt.Model.Tests;

/// <summary>
/// tokenizer.json and tokenizer.model tokenizers give the ids that independent implementations
/// gave for the same files: Hugging Face's tokenizers.js and Google's sentencepiece
/// (tests/fixtures/tokenizers, written by tools/make_tokenizer_fixtures.py).
/// </summary>
public class TokenizerFormatTests
{
    static readonly JsonElement Expected =
        JsonDocument.Parse(File.ReadAllBytes(RepositoryFiles.Fixtures("tokenizers", "expected.json"))).RootElement;

    public static TheoryData<string> Fixtures => new("llama3", "qwen3", "smollm2", "prefix-split", "sentencepiece");

    public static TheoryData<string> ByteLevelFixtures => new("llama3", "qwen3", "smollm2", "prefix-split");

    public static string Folder(string fixture) => RepositoryFiles.Fixtures("tokenizers", fixture);

    record Case(string Text, int[] Ids, string Decoded, int[]? IdsWithSpecial);

    static IEnumerable<Case> Cases(string fixture) =>
        Expected.GetProperty(fixture).GetProperty("cases").EnumerateArray().Select(c => new Case(
            c.GetProperty("text").GetString()!,
            Ids(c.GetProperty("ids")),
            c.GetProperty("decoded").GetString()!,
            c.TryGetProperty("ids_with_special", out var withSpecial) ? Ids(withSpecial) : null));

    static int[] Ids(JsonElement list) => list.EnumerateArray().Select(e => e.GetInt32()).ToArray();

    static int SpecialId(string fixture, string token) => Expected.GetProperty(fixture).GetProperty("special_ids").GetProperty(token).GetInt32();

    // Qwen's normalizer is NFC, which this build (invariant globalization) can only apply where it changes nothing.
    static bool NeedsNormalization(string fixture, string text) => fixture == "qwen3" && text.Contains('\u0308');

    static string Show(string text, IEnumerable<int> ids) => $"{JsonSerializer.Serialize(text)} → [{string.Join(", ", ids)}]";

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void EncodingGivesTheReferenceIds(string fixture)
    {
        var tokenizer = TextTokenizer.ForFolder(Folder(fixture));
        foreach (var testCase in Cases(fixture).Where(c => !NeedsNormalization(fixture, c.Text)))
            Assert.Equal(Show(testCase.Text, testCase.Ids), Show(testCase.Text, tokenizer.Encode(testCase.Text)));
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void DecodingGivesTheReferenceTextAndEncodingRoundTrips(string fixture)
    {
        var tokenizer = TextTokenizer.ForFolder(Folder(fixture));
        foreach (var testCase in Cases(fixture))
        {
            Assert.Equal(testCase.Decoded, tokenizer.Decode(testCase.Ids));
            // Only add_prefix_space (an extra leading space) and NFC make the reference's own round trip differ.
            if (testCase.Decoded == testCase.Text && !NeedsNormalization(fixture, testCase.Text))
                Assert.Equal(testCase.Text, tokenizer.Decode(tokenizer.Encode(testCase.Text)));
        }
    }

    [Fact]
    public void TextThatNfcWouldChangeIsRefusedRatherThanTokenizedDifferently()
    {
        var tokenizer = TextTokenizer.ForFolder(Folder("qwen3"));
        var error = Assert.Throws<NotSupportedException>(() => tokenizer.Encode("Ka\u0308rkka\u0308inen"));
        Assert.Contains(Path.Combine(Folder("qwen3"), "tokenizer.json"), error.Message);
        Assert.Contains("U+0308", error.Message);
        Assert.Contains("U+212B", Assert.Throws<NotSupportedException>(() => tokenizer.Encode("10 \u212B")).Message); // Angstrom sign → Å
        // Precomposed letters, and Hangul syllables, are their own NFC form.
        Assert.Equal(Cases("qwen3").Single(c => c.Text == "Kärkkäinen €5").Ids, tokenizer.Encode("Kärkkäinen €5"));
        Assert.NotEmpty(tokenizer.Encode("한국어"));
    }

    [Fact]
    public void IgnoreMergesEmitsAPieceThatIsInTheVocabularyWhole()
    {
        // The same vocabulary and merges; Llama 3's file sets ignore_merges, Qwen's does not.
        var withIgnore = TextTokenizer.ForFolder(Folder("llama3")).Encode(" unmergeable");
        var withoutIgnore = TextTokenizer.ForFolder(Folder("qwen3")).Encode(" unmergeable");
        Assert.Single(withIgnore);
        Assert.True(withoutIgnore.Count > 1);
    }

    [Theory]
    [MemberData(nameof(ByteLevelFixtures))]
    public void TheBeginningOfTextIsWhatTheReferencePrependsAndEncodeLeavesItOut(string fixture)
    {
        var tokenizer = TextTokenizer.ForFolder(Folder(fixture));
        foreach (var testCase in Cases(fixture).Where(c => !NeedsNormalization(fixture, c.Text)))
        {
            var encoded = tokenizer.Encode(testCase.Text);
            var prepended = tokenizer.AddsBeginningOfText ? [tokenizer.BeginningOfTextId!.Value, .. encoded] : encoded;
            Assert.Equal(Show(testCase.Text, testCase.IdsWithSpecial!), Show(testCase.Text, prepended));
        }
    }

    [Theory]
    [InlineData("llama3", new[] { 701, 708, 709 }, 700, true)]
    [InlineData("qwen3", new[] { 702 }, null, false)]
    [InlineData("smollm2", new[] { 0 }, 0, false)]
    [InlineData("prefix-split", new[] { 700 }, null, false)]
    [InlineData("sentencepiece", new[] { 2 }, 1, true)]
    public void SpecialIdsAreTheOnesTheFixtureFolderGives(string fixture, int[] stopIds, int? beginning, bool addsBeginning)
    {
        // llama3: generation_config.json's list and the TemplateProcessing; qwen3 and smollm2: tokenizer_config.json;
        // prefix-split: its <|endoftext|>; sentencepiece: the model's own </s> and <s>.
        var tokenizer = TextTokenizer.ForFolder(Folder(fixture));
        Assert.Equal(stopIds, tokenizer.StopIds);
        Assert.Equal(stopIds[0], tokenizer.EndOfTextId);
        Assert.Equal(beginning, tokenizer.BeginningOfTextId);
        Assert.Equal(addsBeginning, tokenizer.AddsBeginningOfText);
        if (fixture == "llama3") Assert.Equal(SpecialId(fixture, "<|eot_id|>"), stopIds[^1]);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void TheVocabularySizeCoversEveryIdAndTheDescriptionNamesTheFile(string fixture)
    {
        var tokenizer = TextTokenizer.ForFolder(Folder(fixture));
        Assert.Equal(Expected.GetProperty(fixture).GetProperty("vocabulary_size").GetInt32(), tokenizer.VocabularySize);
        var file = fixture == "sentencepiece" ? "tokenizer.model" : "tokenizer.json";
        Assert.Contains(Path.Combine(Folder(fixture), file), tokenizer.Description);
        Assert.Contains(fixture == "sentencepiece" ? "SentencePiece" : "tokenizer.json", tokenizer.Description);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void ATokenizerWrittenFromItsOwnFilesReloadsTheSame(string fixture)
    {
        var original = TextTokenizer.ForFolder(Folder(fixture));
        using var copy = new TemporaryDirectory();
        foreach (var (name, bytes) in original.OwnFiles) copy.Write(name, bytes);
        Assert.Equal(Directory.GetFiles(Folder(fixture)).Select(Path.GetFileName).Order(), original.OwnFiles.Keys.Order());
        var reloaded = TextTokenizer.ForFolder(copy.Path);
        foreach (var testCase in Cases(fixture).Where(c => !NeedsNormalization(fixture, c.Text)))
            Assert.Equal(original.Encode(testCase.Text), reloaded.Encode(testCase.Text));
        Assert.Equal(original.StopIds, reloaded.StopIds);
        Assert.Equal(original.BeginningOfTextId, reloaded.BeginningOfTextId);
        Assert.Equal(original.AddsBeginningOfText, reloaded.AddsBeginningOfText);
        Assert.Equal(original.VocabularySize, reloaded.VocabularySize);
    }

    [Fact]
    public void ASavedModelCarriesItsTokenizerAndSpecialIds()
    {
        var tokenizer = TextTokenizer.ForFolder(Folder("llama3"));
        using var model = LanguageModel.Create(TinyModels.Config(vocab: tokenizer.VocabularySize), tokenizer, seed: 3, Precision.Fp32);
        using var folder = new TemporaryDirectory();
        model.Save(folder.Path);
        using var loaded = LanguageModel.Load(folder.Path, Precision.Fp32);
        const string text = "Net sales were 2,264 units<|eot_id|>";
        Assert.Equal(tokenizer.Encode(text), loaded.Tokenizer.Encode(text));
        Assert.Equal(tokenizer.StopIds, loaded.Tokenizer.StopIds);
        Assert.Equal(tokenizer.BeginningOfTextId, loaded.Tokenizer.BeginningOfTextId);
        Assert.True(loaded.Tokenizer.AddsBeginningOfText);
        foreach (var file in new[] { "tokenizer.json", "tokenizer_config.json", "generation_config.json" })
            Assert.True(File.Exists(folder.File(file)), file);
    }
}
