using System.Text.Json;
using FedPrompt.Model.Pretraining;
using FedPrompt.Model.Tokenization;
using FedPrompt.Testing;

namespace FedPrompt.Model.Tests;

/// <summary>
/// BPE training: what it writes loads through the engine's tokenizer.json reader with Llama 3's
/// special tokens and gives back any text; the merges are the most frequent pairs, with ties broken
/// by the pair's text, the same as tools/bpe_reference.py learns (tests/fixtures/tokenizers/trainer).
/// </summary>
public class BpeTrainerTests
{
    static readonly string[] Sentences =
    [
        "Net sales rose to 2,264 million euros in the third quarter of 2024.",
        "The company's operating profit fell, and they'RE cutting costs.",
        "Kärkkäinen said the café in Zürich paid €5 for a crème brûlée.",
        "Москва и Санкт-Петербург: рост продаж 12 %.",
        "市场数据显示，销售额增长了百分之五。",
        "Launch day 🚀🚀 was a success 🎉 for the team 👩‍💻.",
        "line one\nline two\n\tindented\r\nwindows line",
    ];

    static IEnumerable<string> Repeated(IEnumerable<string> documents, int times) => Enumerable.Repeat(documents, times).SelectMany(d => d);

    static TrainedBpe Train(IEnumerable<string> documents, int vocabularySize, int minimumCount = BpeTrainer.DefaultMinimumCount) =>
        BpeTrainer.Train(PieceCounts.Count(documents), vocabularySize, minimumCount);

    static TextTokenizer Saved(TrainedBpe trained, TemporaryDirectory folder)
    {
        trained.Save(folder.Path);
        return TextTokenizer.ForFolder(folder.Path);
    }

    [Fact]
    public void ATrainedTokenizerLoadsWithItsSpecialTokensAndGivesBackAnyText()
    {
        using var folder = new TemporaryDirectory();
        var trained = Train(Repeated(Sentences, 5), 400);
        var tokenizer = Saved(trained, folder);

        Assert.Equal(400, tokenizer.VocabularySize);
        Assert.Equal(398, tokenizer.BeginningOfTextId);
        Assert.Equal(399, tokenizer.EndOfTextId);
        Assert.Equal([399], tokenizer.StopIds);
        Assert.True(tokenizer.AddsBeginningOfText);
        Assert.Equal([399], tokenizer.Encode(BpeTrainer.EndOfText));
        Assert.Contains(TokenizerJson.FileName, tokenizer.Description);

        string[] texts =
        [
            .. Sentences, "", " ", "   leading and trailing   ", "unseen words: zygote quixotic", "naïve façade, Ærøskøbing",
            "数据 and ¥100", "rocket 🚀 launch 👩‍👩‍👧 𝐀𝐁 done", "tabs\tand\r\nnewlines\n\n", $"{BpeTrainer.BeginningOfText}Hello{BpeTrainer.EndOfText}",
        ];
        foreach (var text in texts) Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
        // Learned merges are applied: a word of the corpus is one token, not its bytes.
        Assert.Single(tokenizer.Encode(" the"));
    }

    /// <summary>
    /// "low lower lowest newer wider" in Llama 3's pieces: low, Ġlower, Ġlowest, Ġnewer, Ġwider. (e,r), (l,o),
    /// (o,w) and (w,e) occur 3 times each and (e,r) has the smallest text; then (l,o); then (lo,w), the only pair
    /// left at 3; then (Ġ,low), alone at 2; then every pair is seen once: (d,er) has the smallest left token, then (e,s).
    /// </summary>
    [Fact]
    public void TheFirstMergesAreTheMostFrequentPairsWithTiesToTheSmallestText()
    {
        var trained = Train(Repeated(["low lower lowest newer wider"], 10), 264);
        Assert.Equal([("e", "r"), ("l", "o"), ("lo", "w"), ("Ġ", "low"), ("d", "er"), ("e", "s")], trained.Merges);
        Assert.Equal(["er", "lo", "low", "Ġlow", "der", "es"], trained.Tokens.Skip(BpeTrainer.ByteTokens));
    }

    [Fact]
    public void TheSameCorpusInAnyOrderGivesAByteIdenticalTokenizerJson()
    {
        var documents = Repeated(Sentences, 3).Concat(File.ReadLines(RepositoryFiles.Fixtures("tokenizers", "trainer", "corpus.txt"))).ToList();
        using var first = new TemporaryDirectory();
        using var again = new TemporaryDirectory();
        using var reversed = new TemporaryDirectory();
        Train(documents, 500).Save(first.Path);
        Train(documents, 500).Save(again.Path);
        Train(Enumerable.Reverse(documents), 500).Save(reversed.Path);
        var bytes = File.ReadAllBytes(first.File(TokenizerJson.FileName));
        Assert.Equal(bytes, File.ReadAllBytes(again.File(TokenizerJson.FileName)));
        Assert.Equal(bytes, File.ReadAllBytes(reversed.File(TokenizerJson.FileName)));
    }

    [Theory]
    [InlineData(258)]
    [InlineData(300)]
    [InlineData(777)]
    public void TheVocabularyHasExactlyTheSizeAskedFor(int size)
    {
        using var folder = new TemporaryDirectory();
        var trained = Train(File.ReadLines(RepositoryFiles.Fixtures("tokenizers", "trainer", "corpus.txt")), size, minimumCount: 1);
        Assert.Equal(size, trained.VocabularySize);
        Assert.False(trained.RanOutOfPairs);
        Assert.Equal(size, Saved(trained, folder).VocabularySize);
    }

    [Fact]
    public void ACorpusThatRunsOutOfPairsGivesASmallerVocabularyAndSaysSo()
    {
        using var folder = new TemporaryDirectory();
        var trained = Train(Repeated(["low lower lowest newer wider"], 10), 1000);
        Assert.True(trained.RanOutOfPairs);
        Assert.Equal(1000, trained.RequestedVocabularySize);
        Assert.Equal(BpeTrainer.SmallestVocabulary + trained.Merges.Count, trained.VocabularySize);
        var tokenizer = Saved(trained, folder);
        Assert.Equal(trained.VocabularySize, tokenizer.VocabularySize);
        // Nothing left to merge: every piece is one token.
        Assert.Equal(5, tokenizer.Encode("low lower lowest newer wider").Count);
    }

    [Fact]
    public void PiecesSeenFewerThanTheMinimumCountLearnNoMerges()
    {
        var documents = Repeated(["common words here"], 3).Append("zyzzyva");
        Assert.DoesNotContain(Train(documents, 1000, minimumCount: 2).Tokens, t => t.Contains("zy"));
        Assert.Contains(Train(documents, 1000, minimumCount: 1).Tokens, t => t.Contains("zy"));
    }

    /// <summary>tools/bpe_reference.py, run on the same documents with Llama 3's regex, learned these merges and tokens.</summary>
    [Fact]
    public void TheMergesAreThoseTheReferenceTrainerLearns()
    {
        var expected = JsonDocument.Parse(File.ReadAllBytes(RepositoryFiles.Fixtures("tokenizers", "trainer", "expected.json"))).RootElement;
        int learned = expected.GetProperty("learned_tokens").GetInt32();
        // The documents as tools/bpe_reference.py read them: separated by blank lines.
        var documents = File.ReadAllText(RepositoryFiles.Fixtures("tokenizers", "trainer", "corpus.txt")).Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(d => d.Trim('\n'));
        var trained = Train(documents, learned + BpeTrainer.SpecialTokens, expected.GetProperty("min_count").GetInt32());
        var merges = expected.GetProperty("merges").EnumerateArray().Select(m => (m[0].GetString()!, m[1].GetString()!)).ToList();
        Assert.Equal(444, merges.Count);
        Assert.Equal(merges, trained.Merges);
        Assert.Equal(expected.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!), trained.Tokens);
    }

    /// <summary>The fields a Hugging Face reader goes by, as Llama 3's own tokenizer.json has them (the engine's Llama 3 fixture).</summary>
    [Fact]
    public void TheFileHasLlama3sLayout()
    {
        using var folder = new TemporaryDirectory();
        var trained = Train(Repeated(Sentences, 5), 300);
        trained.Save(folder.Path);
        var json = JsonDocument.Parse(File.ReadAllBytes(folder.File(TokenizerJson.FileName))).RootElement;
        var llama3 = JsonDocument.Parse(File.ReadAllBytes(RepositoryFiles.Fixtures("tokenizers", "llama3", TokenizerJson.FileName))).RootElement;

        string Text(JsonElement element) => element.GetRawText();
        Assert.Equal(Text(llama3.GetProperty("pre_tokenizer")), Text(json.GetProperty("pre_tokenizer")));
        Assert.Equal(Text(llama3.GetProperty("decoder")), Text(json.GetProperty("decoder")));
        var processors = json.GetProperty("post_processor").GetProperty("processors");
        Assert.Equal(Text(llama3.GetProperty("post_processor").GetProperty("processors")[0]), Text(processors[0]));
        Assert.Equal([trained.BeginningOfTextId], processors[1].GetProperty("special_tokens").GetProperty(BpeTrainer.BeginningOfText)
            .GetProperty("ids").EnumerateArray().Select(id => id.GetInt32()));

        var model = json.GetProperty("model");
        Assert.Equal("BPE", model.GetProperty("type").GetString());
        Assert.False(model.GetProperty("ignore_merges").GetBoolean());
        Assert.False(model.GetProperty("byte_fallback").GetBoolean());
        Assert.Equal([trained.Merges[0].Left, trained.Merges[0].Right], model.GetProperty("merges")[0].EnumerateArray().Select(part => part.GetString()));
        Assert.Equal(298, model.GetProperty("vocab").EnumerateObject().Count());
        // GPT-2's ids for the bytes: "!" first, the space (Ġ) at 220.
        Assert.Equal(0, model.GetProperty("vocab").GetProperty("!").GetInt32());
        Assert.Equal(220, model.GetProperty("vocab").GetProperty("Ġ").GetInt32());
        var added = json.GetProperty("added_tokens").EnumerateArray()
            .Select(t => (t.GetProperty("id").GetInt32(), t.GetProperty("content").GetString(), t.GetProperty("special").GetBoolean()));
        Assert.Equal([(298, BpeTrainer.BeginningOfText, true), (299, BpeTrainer.EndOfText, true)], added);
    }

    [Fact]
    public void AVocabularyWithoutRoomForTheBytesAndSpecialTokensIsRefused()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Train(Sentences, 257));
        Assert.Contains("at least 258", error.Message);
    }
}
