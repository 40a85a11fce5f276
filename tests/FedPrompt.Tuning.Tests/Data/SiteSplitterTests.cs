using FedPrompt.Testing;
using FedPrompt.Tuning.Data;

namespace FedPrompt.Tuning.Tests.Data;

public sealed class SiteSplitterTests
{
    private static string Train => RepositoryFiles.Fixture("financial_phrase_bank_train.jsonl");

    [Theory]
    [InlineData(3, 0u, "split_seed0_3sites", new[] { 604, 604, 603 })]
    [InlineData(4, 7u, "split_seed7_4sites", new[] { 453, 453, 453, 452 })]
    public void EvenSplitIsByteIdenticalToNVFlare(int siteCount, uint seed, string fixture, int[] sizes)
    {
        using var folder = new TemporaryDirectory();

        SiteSplit split = SiteSplitter.Split(Train, folder.Path, siteCount, seed);

        Assert.Equal(1811, split.RecordCount);
        Assert.Equal(sizes, split.Sites.Select(site => site.RecordCount));
        AssertSameFiles(RepositoryFiles.Fixture(fixture), split);
    }

    [Fact]
    public void AwkwardRecordsAreByteIdenticalToNVFlare()
    {
        using var folder = new TemporaryDirectory();

        SiteSplit split = SiteSplitter.Split(RepositoryFiles.Fixture("edge", "records.jsonl"), folder.Path, 2, seed: 5);

        Assert.Equal(19, split.RecordCount);
        AssertSameFiles(RepositoryFiles.Fixture("edge", "split_seed5_2sites"), split);
    }

    [Theory]
    [InlineData(3, 0.5, 0u, "dirichlet_alpha0.5_seed0_3sites")]
    [InlineData(4, 5.0, 3u, "dirichlet_alpha5_seed3_4sites")]
    public void DirichletSplitIsByteIdenticalToItsNumPyReference(int siteCount, double alpha, uint seed, string fixture)
    {
        using var folder = new TemporaryDirectory();

        SiteSplit split = SiteSplitter.Split(Train, folder.Path, siteCount, seed, alpha);

        Assert.Equal(alpha, split.DirichletAlpha);
        AssertSameFiles(RepositoryFiles.Fixture(fixture), split);
    }

    [Fact]
    public void DirichletSplitCountsAddUpAndSkewLabels()
    {
        using var folder = new TemporaryDirectory();

        SiteSplit split = SiteSplitter.Split(Train, folder.Path, 3, seed: 0, dirichletAlpha: 0.5);

        Dictionary<string, int> totals = JsonlReader.ReadAll(Train).GroupBy(record => record["label"]).ToDictionary(group => group.Key, group => group.Count());
        Assert.Equal(split.RecordCount, split.Sites.Sum(site => site.RecordCount));
        foreach (var (label, total) in totals)
        {
            Assert.Equal(total, split.Sites.Sum(site => site.LabelCounts.GetValueOrDefault(label)));
        }

        foreach (SiteShard site in split.Sites)
        {
            Assert.Equal(site.RecordCount, site.LabelCounts.Values.Sum());
            Assert.Equal(site.LabelCounts, JsonlReader.ReadAll(site.FilePath).GroupBy(record => record["label"]).ToDictionary(group => group.Key, group => group.Count()));
        }

        // With alpha 0.5 the label mixes of the sites are far apart, unlike the even split's.
        double[] positiveShares = split.Sites.Select(site => site.LabelCounts.GetValueOrDefault(" positive") / (double)site.RecordCount).ToArray();
        Assert.True(positiveShares.Max() - positiveShares.Min() > 0.2, string.Join(", ", positiveShares));
    }

    [Fact]
    public void DirichletSplitIsDeterministicPerSeed()
    {
        string[] labels = Enumerable.Range(0, 300).Select(i => (i % 3).ToString()).ToArray();

        int[][] first = DirichletLabelSplit.Assign(labels, 4, 0.3, 11)!;

        Assert.Equal(first, DirichletLabelSplit.Assign(labels, 4, 0.3, 11));
        Assert.NotEqual(first, DirichletLabelSplit.Assign(labels, 4, 0.3, 12));
        Assert.Equal(Enumerable.Range(0, 300), first.SelectMany(site => site).Order());
        Assert.All(first, site => Assert.NotEmpty(site));
    }

    [Fact]
    public void DirichletSplitRedrawsUntilEverySiteHasARecord()
    {
        // Four records and four sites at a tiny alpha: almost every draw leaves a site empty.
        string[] labels = ["a", "a", "b", "b"];

        int[][]? sites = DirichletLabelSplit.Assign(labels, 4, 0.05, 0);

        Assert.NotNull(sites);
        Assert.All(sites, site => Assert.Single(site));
    }

    [Fact]
    public void DirichletSplitGivesUpWithAClearError()
    {
        using var folder = new TemporaryDirectory();
        string input = folder.Write("one-label.jsonl", "{\"label\": \"a\"}\n{\"label\": \"a\"}\n");

        var exception = Assert.Throws<DataFormatException>(() => SiteSplitter.Split(input, folder.File("out"), 2, 0, 1e-6));

        Assert.Equal(
            $"{input}: none of 1000 Dirichlet draws (alpha 1E-06, seed 0) gave every site a record; use a larger alpha, fewer sites or another seed",
            exception.Message);
        Assert.False(Directory.Exists(folder.File("out")));
    }

    [Fact]
    public void EvenSplitCountsLabels()
    {
        using var folder = new TemporaryDirectory();

        SiteSplit split = SiteSplitter.Split(Train, folder.Path, 3);

        Assert.Equal(["site-1", "site-2", "site-3"], split.Sites.Select(site => site.SiteName));
        Assert.Equal([" negative", " neutral", " positive"], split.Sites[0].LabelCounts.Keys);
        Assert.Equal(1811, split.Sites.Sum(site => site.LabelCounts.Values.Sum()));
    }

    [Fact]
    public void RefusesMoreSitesThanRecords()
    {
        using var folder = new TemporaryDirectory();
        string input = folder.Write("two.jsonl", "{\"label\": \"a\"}\n{\"label\": \"b\"}\n");

        var exception = Assert.Throws<DataFormatException>(() => SiteSplitter.Split(input, folder.File("out"), 3));

        Assert.Equal($"{input}: 2 records cannot give each of 3 sites one", exception.Message);
    }

    [Fact]
    public void RefusesAnEmptyFile()
    {
        using var folder = new TemporaryDirectory();
        string input = folder.Write("empty.jsonl", "\n");

        Assert.Equal($"{input}: no records to split", Assert.Throws<DataFormatException>(() => SiteSplitter.Split(input, folder.Path, 1)).Message);
    }

    [Fact]
    public void RefusesRecordsWithDifferentFields()
    {
        using var folder = new TemporaryDirectory();
        string input = folder.Write("mixed.jsonl", "{\"sentence\": \"s\", \"label\": \"a\"}\n{\"label\": \"b\", \"sentence\": \"t\"}\n{\"sentence\": \"u\"}\n");

        var exception = Assert.Throws<DataFormatException>(() => SiteSplitter.Split(input, folder.Path, 1));

        Assert.Equal($"{input}:3: fields (sentence) differ from those of the first record (sentence, label)", exception.Message);
    }

    [Fact]
    public void DirichletSplitNeedsALabelOnEveryRecord()
    {
        using var folder = new TemporaryDirectory();
        string input = folder.Write("unlabelled.jsonl", "{\"sentence\": \"s\"}\n");

        var exception = Assert.Throws<DataFormatException>(() => SiteSplitter.Split(input, folder.Path, 1, 0, 1.0));

        Assert.Equal($"{input}:1: no \"label\" field to split by", exception.Message);
    }

    [Fact]
    public void MalformedInputNamesFileAndLine()
    {
        using var folder = new TemporaryDirectory();
        string input = folder.Write("bad.jsonl", "{\"label\": \"a\"}\n{\"label\": 3}\n");

        var exception = Assert.Throws<DataFormatException>(() => SiteSplitter.Split(input, folder.Path, 1));

        Assert.Equal($"{input}:2: field \"label\" is a number, not a string", exception.Message);
    }

    [Theory]
    [InlineData(0, null)]
    [InlineData(2, 0.0)]
    [InlineData(2, -1.0)]
    [InlineData(2, double.NaN)]
    public void RefusesInvalidParameters(int siteCount, double? alpha)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SiteSplitter.Split(Train, Path.GetTempPath(), siteCount, 0, alpha));
    }

    private static void AssertSameFiles(string expectedFolder, SiteSplit split)
    {
        string[] expectedFiles = Directory.GetFiles(expectedFolder).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(expectedFiles.Select(Path.GetFileName), split.Sites.Select(site => Path.GetFileName(site.FilePath)));
        foreach (var (expected, site) in expectedFiles.Zip(split.Sites))
        {
            Assert.Equal(File.ReadAllBytes(expected), File.ReadAllBytes(site.FilePath));
        }
    }
}
