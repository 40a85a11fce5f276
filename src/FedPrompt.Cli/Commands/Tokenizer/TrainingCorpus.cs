using FedPrompt.Model.Pretraining;

namespace FedPrompt.Cli.Commands.Tokenizer;

/// <summary>
/// The documents of one --corpus path: a Reuters-21578 folder (each article's title and body, as
/// pretraining reads them), a UTF-8 .txt file, or a folder of .txt files (in name order) whose
/// documents are separated by blank lines. The kind is told when the path is given, so a wrong
/// path fails before any training; the text is read each time the documents are enumerated.
/// </summary>
static class TrainingCorpus
{
    public static IEnumerable<string> Open(string path)
    {
        if (Directory.Exists(path))
        {
            if (Directory.EnumerateFiles(path, "reut2-*.sgm*").Any()) return Reuters(path);
            var texts = Directory.GetFiles(path, "*.txt").Order(StringComparer.Ordinal).ToList();
            if (texts.Count == 0)
                throw new FileNotFoundException($"--corpus {path}: the folder has neither Reuters-21578 files (reut2-*.sgm, reut2-*.sgm.gz) nor .txt files");
            return texts.SelectMany(PlainTextCorpus.Documents);
        }
        if (File.Exists(path))
        {
            if (!path.EndsWith(".txt", StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException($"--corpus {path}: not a .txt file (the corpus is UTF-8 .txt files or a Reuters-21578 folder)");
            return PlainTextCorpus.Documents(path);
        }
        throw new FileNotFoundException($"--corpus {path}: no such file or folder", path);
    }

    static IEnumerable<string> Reuters(string folder)
    {
        foreach (var article in ReutersCorpus.Read(folder)) yield return article.Text;
    }
}
