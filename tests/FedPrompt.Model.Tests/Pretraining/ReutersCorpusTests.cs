using FedPrompt.Model.Pretraining;
using FedPrompt.Testing;

namespace FedPrompt.Model.Tests.Pretraining;

public class ReutersCorpusTests
{
    public const string Sgml = """
        <!DOCTYPE lewis SYSTEM "lewis.dtd">
        <REUTERS TOPICS="YES" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="5544" NEWID="1">
        <DATE>26-FEB-1987 15:01:01.79</DATE>
        <TEXT>&#2;
        <TITLE>BAHIA COCOA REVIEW</TITLE>
        <DATELINE>    SALVADOR, Feb 26 - </DATELINE><BODY>Showers continued throughout the week in
        the Bahia cocoa zone, alleviating the drought &lt;since> early
        January.
            The dry period means the temporao will be late this year.
         Reuter
        &#3;</BODY></TEXT>
        </REUTERS>
        <REUTERS TOPICS="NO" NEWID="20">
        <TEXT TYPE="BRIEF">&#2;
        <TITLE>AMERICAN EXPRESS &lt;AXP> SEES PROFIT RISE</TITLE>
        </TEXT>
        </REUTERS>
        <REUTERS TOPICS="NO" NEWID="21">
        <TEXT TYPE="UNPROC">&#2;
        nothing here has a title or a body
        </TEXT>
        </REUTERS>
        """;

    [Fact]
    public void TitlesAndBodiesBecomeRunningText()
    {
        var articles = ReutersCorpus.Parse(Sgml).ToList();
        Assert.Equal(3, articles.Count);
        Assert.Equal(1, articles[0].NewId);
        Assert.Equal("BAHIA COCOA REVIEW", articles[0].Title);
        // Wrapped lines re-joined, an indented line starts a paragraph, entities decoded, the sign-off gone.
        Assert.Equal("Showers continued throughout the week in the Bahia cocoa zone, alleviating the drought <since> early January.\nThe dry period means the temporao will be late this year.", articles[0].Body);
        Assert.Equal("AMERICAN EXPRESS <AXP> SEES PROFIT RISE", articles[1].Text);
        Assert.Equal("", articles[2].Text);
    }

    [Fact]
    public void TheHeldOutSliceIsEveryNthNewId()
    {
        var articles = ReutersCorpus.Parse(Sgml).Where(a => a.Text.Length > 0).ToList();
        var (train, heldOut) = ReutersCorpus.Split(articles, heldOutEvery: 20);
        Assert.Equal([1], train.Select(a => a.NewId));
        Assert.Equal([20], heldOut.Select(a => a.NewId));
    }

    [Fact]
    public void FilesAreReadPlainOrGzipAndEmptyFoldersAreRefused()
    {
        using var folder = new TemporaryDirectory();
        File.WriteAllText(folder.File("reut2-000.sgm"), Sgml, System.Text.Encoding.Latin1);
        using (var gzip = new System.IO.Compression.GZipStream(File.Create(folder.File("reut2-001.sgm.gz")), System.IO.Compression.CompressionLevel.Fastest))
            gzip.Write(System.Text.Encoding.Latin1.GetBytes(Sgml.Replace("NEWID=\"1\"", "NEWID=\"2\"")));
        Assert.Equal([1, 20, 2, 20], ReutersCorpus.Read(folder.Path).Select(a => a.NewId));

        using var empty = new TemporaryDirectory();
        Assert.Contains("no reut2-*.sgm", Assert.Throws<FileNotFoundException>(() => ReutersCorpus.Read(empty.Path)).Message);
    }
}
