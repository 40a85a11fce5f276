using System.IO.Compression;
using System.Text;

namespace FedPrompt.Model.Pretraining;

/// <summary>
/// Plain UTF-8 text (.txt, or .txt.gz) as pretraining documents: a file or every such file under a
/// folder, in name order. The texts are one paragraph per line (data/pretraining/), but their entries
/// range from a dictionary gloss to a whole address, so consecutive lines are gathered into
/// documents of at least <see cref="DocumentCharacters"/>: documents long enough to hold a training
/// window's worth of context, and numerous enough that every n-th can be held out.
/// </summary>
public static class TextCorpus
{
    public const int DocumentCharacters = 2000;

    public static bool IsTextCorpus(string path) =>
        File.Exists(path) ? IsText(path) : Directory.Exists(path) && Files(path).Any();

    /// <summary>Documents numbered from 1 in each file, so "every n-th held out" does not depend on which other files there are.</summary>
    public static List<Article> Read(string path)
    {
        var files = File.Exists(path) ? [path] : Directory.Exists(path) ? Files(path) : throw new FileNotFoundException($"{path}: no such text file or folder", path);
        if (files.Count == 0) throw new FileNotFoundException($"{path}: no .txt or .txt.gz files in it");
        var documents = new List<Article>();
        foreach (var file in files)
        {
            int before = documents.Count;
            var current = new StringBuilder();
            bool blankBefore = false;
            foreach (var line in ReadLines(file))
            {
                if (line.Length == 0)
                {
                    blankBefore = true;
                    continue;
                }
                // A blank line between paragraphs stays one inside a document.
                if (current.Length > 0) current.Append(blankBefore ? "\n\n" : "\n");
                blankBefore = false;
                current.Append(line);
                if (current.Length >= DocumentCharacters) Flush();
            }
            Flush();
            if (documents.Count == before) throw new InvalidDataException($"{file}: no text in it");

            void Flush()
            {
                if (current.Length > 0) documents.Add(new Article(documents.Count - before + 1, "", current.ToString()));
                current.Clear();
            }
        }
        return documents;
    }

    static List<string> Files(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Where(IsText).Order(StringComparer.Ordinal).ToList();

    static bool IsText(string file) => file.EndsWith(".txt", StringComparison.Ordinal) || file.EndsWith(".txt.gz", StringComparison.Ordinal);

    static IEnumerable<string> ReadLines(string file)
    {
        using var stream = File.OpenRead(file);
        using var text = file.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(stream, CompressionMode.Decompress) : (Stream)stream;
        // Strict UTF-8: a file in another encoding is an error naming it, not mojibake trained on.
        using var reader = new StreamReader(text, new UTF8Encoding(false, throwOnInvalidBytes: true));
        string? line;
        while (true)
        {
            try
            {
                line = reader.ReadLine();
            }
            catch (DecoderFallbackException e)
            {
                throw new InvalidDataException($"{file}: not UTF-8 text ({e.Message})", e);
            }
            if (line is null) yield break;
            yield return line.TrimEnd();
        }
    }
}
