using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace FedPrompt.Model.Pretraining;

/// <summary>One newswire article: its title and body as running text.</summary>
public sealed record Article(int NewId, string Title, string Body)
{
    /// <summary>The text a model trains on: the title on its own line, then the body's paragraphs.</summary>
    public string Text => Title.Length == 0 ? Body : Body.Length == 0 ? Title : $"{Title}\n{Body}";
}

/// <summary>
/// Reuters-21578 (SGML, Latin-1, plain or gzip-compressed files reut2-NNN.sgm[.gz]). The wire format
/// hard-wraps lines at ~70 columns and marks paragraphs by indentation; FedPrompt's downstream text
/// (Financial PhraseBank) is plain sentences, so lines are re-joined into paragraphs, entities are
/// decoded, and the " Reuter" sign-off and control characters are dropped.
/// </summary>
public static partial class ReutersCorpus
{
    static readonly Encoding Latin1 = Encoding.Latin1;

    [GeneratedRegex(@"<REUTERS\b(?<attributes>[^>]*)>(?<content>.*?)</REUTERS>", RegexOptions.Singleline)]
    private static partial Regex ArticleElement();

    [GeneratedRegex(@"NEWID=""(?<id>\d+)""")]
    private static partial Regex NewIdAttribute();

    [GeneratedRegex(@"<TITLE>(?<text>.*?)</TITLE>", RegexOptions.Singleline)]
    private static partial Regex TitleElement();

    [GeneratedRegex(@"<BODY>(?<text>.*?)</BODY>", RegexOptions.Singleline)]
    private static partial Regex BodyElement();

    [GeneratedRegex(@"\s*\bReute?r\s*$")]
    private static partial Regex SignOff();

    [GeneratedRegex(@"[ \t]+")]
    private static partial Regex Blanks();

    /// <summary>All articles with a title or a body, in file order.</summary>
    public static List<Article> Read(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: corpus folder not found");
        var files = Directory.GetFiles(folder, "reut2-*.sgm*")
            .Where(f => f.EndsWith(".sgm", StringComparison.Ordinal) || f.EndsWith(".sgm.gz", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new FileNotFoundException($"{folder}: no reut2-*.sgm or reut2-*.sgm.gz files");
        var articles = new List<Article>();
        foreach (var file in files)
        {
            var found = Parse(ReadText(file)).ToList();
            if (found.Count == 0) throw new InvalidDataException($"{file}: no <REUTERS> articles in it");
            articles.AddRange(found.Where(a => a.Text.Length > 0));
        }
        return articles;
    }

    /// <summary>A held-out slice that does not depend on file order: every article whose NEWID is a
    /// multiple of <paramref name="heldOutEvery"/>.</summary>
    public static (List<Article> Train, List<Article> HeldOut) Split(IEnumerable<Article> articles, int heldOutEvery = 20)
    {
        var train = new List<Article>();
        var heldOut = new List<Article>();
        foreach (var article in articles)
            (article.NewId % heldOutEvery == 0 ? heldOut : train).Add(article);
        return (train, heldOut);
    }

    public static IEnumerable<Article> Parse(string sgml)
    {
        foreach (Match element in ArticleElement().Matches(sgml))
        {
            var id = NewIdAttribute().Match(element.Groups["attributes"].Value);
            var content = element.Groups["content"].Value;
            var title = TitleElement().Match(content);
            var body = BodyElement().Match(content);
            yield return new Article(
                id.Success ? int.Parse(id.Groups["id"].Value) : -1,
                title.Success ? Paragraphs(Decode(title.Groups["text"].Value)) : "",
                body.Success ? Paragraphs(SignOff().Replace(Decode(body.Groups["text"].Value), "")) : "");
        }
    }

    static string ReadText(string file)
    {
        using var stream = File.OpenRead(file);
        using var input = file.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(stream, CompressionMode.Decompress) : (Stream)stream;
        using var reader = new StreamReader(input, Latin1);
        try
        {
            return reader.ReadToEnd();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{file}: corrupt gzip data: {e.Message}", e);
        }
    }

    /// <summary>SGML entities (&amp;lt; &amp;#3; …) decoded; control characters other than newlines removed.</summary>
    static string Decode(string text)
    {
        var decoded = WebUtility.HtmlDecode(text);
        var clean = new StringBuilder(decoded.Length);
        foreach (var c in decoded)
            if (c == '\n' || !char.IsControl(c)) clean.Append(c);
        return clean.ToString();
    }

    /// <summary>Wrapped lines re-joined; an indented line starts a new paragraph.</summary>
    static string Paragraphs(string text)
    {
        var paragraphs = new List<StringBuilder>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Trim().Length == 0) continue;
            bool starts = paragraphs.Count == 0 || line.StartsWith("  ", StringComparison.Ordinal) || line.StartsWith('\t');
            if (starts) paragraphs.Add(new StringBuilder());
            var current = paragraphs[^1];
            if (current.Length > 0) current.Append(' ');
            current.Append(Blanks().Replace(line.Trim(), " "));
        }
        return string.Join("\n", paragraphs.Select(p => p.ToString()));
    }
}
