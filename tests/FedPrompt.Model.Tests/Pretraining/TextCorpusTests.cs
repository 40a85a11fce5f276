using System.IO.Compression;
using System.Text;
using FedPrompt.Formats.Settings;
using FedPrompt.Model.Pretraining;
using FedPrompt.Testing;

namespace FedPrompt.Model.Tests.Pretraining;

public class TextCorpusTests
{
    static string Line(int i) => $"Paragraph {i,2}: " + new string('x', 585);

    [Fact]
    public void LinesAreGatheredIntoDocumentsOfAtLeastTheMinimumAndNumberedPerFile()
    {
        using var folder = new TemporaryDirectory();
        // 10 paragraphs of 600 characters, blank lines after the first four: documents of 4, 4 and 2.
        var text = string.Join("\n", Enumerable.Range(1, 10).Select(i => i <= 4 ? Line(i) + "\n" : Line(i)));
        File.WriteAllText(Path.Combine(folder.Path, "a.txt"), text);
        using (var gz = new GZipStream(File.Create(Path.Combine(folder.Path, "b.txt.gz")), CompressionLevel.Optimal))
            gz.Write(Encoding.UTF8.GetBytes(text));
        File.WriteAllText(Path.Combine(folder.Path, "ignored.md"), "not a corpus file");

        var documents = TextCorpus.Read(folder.Path);
        Assert.Equal(6, documents.Count);
        Assert.Equal([1, 2, 3, 1, 2, 3], documents.Select(d => d.NewId));
        Assert.All(documents.Take(2), d => Assert.True(d.Text.Length >= TextCorpus.DocumentCharacters));
        Assert.StartsWith(Line(1) + "\n\n" + Line(2), documents[0].Text);
        Assert.Equal(documents.Take(3).Select(d => d.Text), documents.Skip(3).Select(d => d.Text));
        Assert.Equal(Line(9) + "\n" + Line(10), documents[2].Text);
    }

    [Fact]
    public void TextThatIsNotUtf8IsRefusedNamingTheFile()
    {
        using var folder = new TemporaryDirectory();
        var file = Path.Combine(folder.Path, "latin1.txt");
        File.WriteAllBytes(file, Encoding.Latin1.GetBytes("Kärkkäinen"));
        var error = Assert.Throws<InvalidDataException>(() => TextCorpus.Read(file));
        Assert.Contains("latin1.txt: not UTF-8 text", error.Message);
    }

    [Fact]
    public void AFolderWithoutTextIsAClearError()
    {
        using var folder = new TemporaryDirectory();
        var error = Assert.Throws<FileNotFoundException>(() => TextCorpus.Read(folder.Path));
        Assert.Contains("no .txt or .txt.gz files", error.Message);
    }

    /// <summary>Bits per byte is the summed log-loss of every token (the first after the start token,
    /// the end-of-text last) over the text's UTF-8 bytes; checked against the model's own log-probabilities.</summary>
    [Fact]
    public void HeldOutBitsPerByteAreTheLogLossOfEveryTokenOverTheBytes()
    {
        using var model = TinyModels.Create(config: TinyModels.Config(vocab: 50257, positions: 8), precision: Precision.Fp32);
        var articles = new[] { new Article(1, "Kärkkäinen", "sales rose 5 pct in the quarter"), new Article(2, "", "Profit fell") };
        var score = HeldOutText.Measure(model, articles);

        double nats = 0;
        long tokens = 0;
        foreach (var article in articles)
        {
            var predicted = model.Tokenizer.Encode(article.Text).Append(model.Tokenizer.EndOfTextId).ToList();
            // 8 positions: windows of 7 predicted tokens, each after its own start token.
            foreach (var part in predicted.Chunk(7))
            {
                nats -= model.LogProbabilities([model.Tokenizer.EndOfTextId, .. part]).Sum(p => (double)p);
                tokens += part.Length;
            }
        }
        long bytes = articles.Sum(a => (long)Encoding.UTF8.GetByteCount(a.Text));
        Assert.Equal(tokens, score.Tokens);
        Assert.Equal(bytes, score.Bytes);
        Assert.Equal(nats / tokens, score.LossPerToken, 4);
        Assert.Equal(nats / Math.Log(2) / bytes, score.BitsPerByte, 4);
    }
}
