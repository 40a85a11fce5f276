namespace FedPrompt.Model.Pretraining;

/// <summary>The documents of one corpus path, of whichever kind it is: a Reuters-21578 folder
/// (<see cref="ReutersCorpus"/>) or plain text (<see cref="TextCorpus"/>).</summary>
public static class PretrainingCorpus
{
    public static List<Article> Read(string path)
    {
        if (Directory.Exists(path) && Directory.EnumerateFiles(path, "reut2-*.sgm*").Any()) return ReutersCorpus.Read(path);
        if (TextCorpus.IsTextCorpus(path)) return TextCorpus.Read(path);
        throw File.Exists(path) || Directory.Exists(path)
            ? new InvalidDataException($"{path}: neither a Reuters-21578 folder (reut2-*.sgm, reut2-*.sgm.gz) nor UTF-8 text (.txt, .txt.gz, or a folder of them)")
            : new FileNotFoundException($"{path}: no such file or folder", path);
    }
}
