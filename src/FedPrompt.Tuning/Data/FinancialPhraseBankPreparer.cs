using System.Text;
using FedPrompt.Formats;


namespace FedPrompt.Tuning.Data;

/// <summary>
/// Turns a Financial PhraseBank file (<c>sentence@label</c> lines) into train, validation and test
/// JSON Lines files byte-identical to those of NeMo's
/// <c>prompt_learning_financial_phrase_bank_preprocessing.py</c> run with its defaults and
/// <c>--make-ground-truth</c> (the test file keeps its labels).
/// </summary>
public static class FinancialPhraseBankPreparer
{
    /// <summary>NeMo's default <c>--random-seed</c>.</summary>
    public const long Seed = 1234;

    /// <summary>NeMo's default <c>--train-percent</c>; validation and test share the rest equally, test taking the odd one.</summary>
    public const double TrainFraction = 0.8;

    /// <summary>NeMo's default <c>--save-name-base</c>: files are <c>{base}_train.jsonl</c> and so on.</summary>
    public const string FileNameBase = "financial_phrase_bank";

    public const string TaskName = "sentiment";

    /// <summary>
    /// Reads <paramref name="inputPath"/>, shuffles its examples as NeMo does and writes the three
    /// splits into <paramref name="outputDirectory"/> (created if missing), each file atomically.
    /// Nothing is written unless every line is a valid example.
    /// </summary>
    /// <exception cref="DataFormatException">The input has no example or a line is not <c>sentence@label</c>.</exception>
    public static PreparedDataset Prepare(string inputPath, string outputDirectory)
    {
        var examples = ReadExamples(inputPath).ToList();
        new CPythonRandom(Seed).Shuffle(examples);

        int trainCount = (int)(examples.Count * TrainFraction);
        int validationCount = (examples.Count - trainCount) / 2;

        Directory.CreateDirectory(outputDirectory);
        return new PreparedDataset(
            examples.Count,
            WriteSplit(outputDirectory, "train", examples[..trainCount]),
            WriteSplit(outputDirectory, "val", examples[trainCount..(trainCount + validationCount)]),
            WriteSplit(outputDirectory, "test", examples[(trainCount + validationCount)..]));
    }

    /// <summary>
    /// The examples of a PhraseBank file in file order, as NeMo builds them: the file decoded as
    /// ISO-8859-1 and split into lines as Python's <c>readlines()</c> does, each line cut at its
    /// one '@', both parts stripped by Python's rules, and the label prefixed with a space (the
    /// model predicts it as a continuation of "sentiment:").
    /// </summary>
    /// <exception cref="DataFormatException">The input has no example or a line is not <c>sentence@label</c>.</exception>
    public static IReadOnlyList<JsonlRecord> ReadExamples(string inputPath)
    {
        List<string> lines = PythonText.ReadLines(Encoding.Latin1.GetString(File.ReadAllBytes(inputPath)));
        if (lines.Count == 0)
        {
            throw new DataFormatException(inputPath, null, "no examples: the file is empty");
        }

        var examples = new List<JsonlRecord>(lines.Count);
        for (int i = 0; i < lines.Count; i++)
        {
            examples.Add(ParseExample(inputPath, i + 1, lines[i]));
        }

        return examples;
    }

    private static JsonlRecord ParseExample(string inputPath, int lineNumber, string line)
    {
        // NeMo unpacks line.split('@') into two names, so any other number of '@' stops it.
        int separator = line.IndexOf('@');
        if (separator < 0)
        {
            throw new DataFormatException(inputPath, lineNumber, "no '@' between sentence and label");
        }

        if (line.IndexOf('@', separator + 1) >= 0)
        {
            throw new DataFormatException(inputPath, lineNumber, "more than one '@': cannot tell sentence from label");
        }

        return new JsonlRecord(
            [
                new("taskname", TaskName),
                new("sentence", PythonText.Strip(line[..separator])),
                new("label", " " + PythonText.Strip(line[(separator + 1)..])),
            ],
            lineNumber);
    }

    private static PreparedSplit WriteSplit(string outputDirectory, string name, List<JsonlRecord> examples)
    {
        var content = new StringBuilder();
        foreach (JsonlRecord example in examples)
        {
            PythonJson.JsonDumps.AppendObject(content, example.Fields);
            content.Append('\n');
        }

        string path = Path.Combine(outputDirectory, $"{FileNameBase}_{name}.jsonl");
        AtomicFile.WriteAllText(path, content.ToString());
        return new PreparedSplit(name, path, examples.Count);
    }
}
