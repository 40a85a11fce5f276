using System.Text;
using FedPrompt.Model.Pretraining;
using FedPrompt.Testing;

namespace FedPrompt.Model.Tests.Pretraining;

public class PlainTextCorpusTests
{
    [Fact]
    public void BlankLinesSeparateDocumentsThatKeepTheirLineBreaks()
    {
        using var folder = new TemporaryDirectory();
        var file = folder.Write("corpus.txt", "\uFEFFfirst line\r\nsecond line\r\n\r\n  \t \n\n\nnext document\n  indented line\n\nlast\n");
        Assert.Equal(["first line\nsecond line", "next document\n  indented line", "last"], PlainTextCorpus.Documents(file));
    }

    [Fact]
    public void AFileWithoutTextHasNoDocuments()
    {
        using var folder = new TemporaryDirectory();
        Assert.Empty(PlainTextCorpus.Documents(folder.Write("blank.txt", "\n \n\t\n")));
    }

    [Fact]
    public void TextThatIsNotUtf8IsRefusedNamingTheFile()
    {
        using var folder = new TemporaryDirectory();
        var file = folder.Write("latin1.txt", [.. "fine\n\n"u8, .. Encoding.Latin1.GetBytes("K\u00e4rkk\u00e4inen\n")]);
        var error = Assert.Throws<InvalidDataException>(() => PlainTextCorpus.Documents(file).ToList());
        Assert.Contains(file, error.Message);
        Assert.Contains("not UTF-8", error.Message);
    }

    [Fact]
    public void AMissingFileIsNamed()
    {
        var error = Assert.Throws<FileNotFoundException>(() => PlainTextCorpus.Documents("/no/such/corpus.txt"));
        Assert.Contains("/no/such/corpus.txt", error.Message);
    }
}
