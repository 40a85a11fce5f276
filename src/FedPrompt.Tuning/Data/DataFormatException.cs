namespace FedPrompt.Tuning.Data;

/// <summary>
/// A data file cannot be used as it is: its message names the file, the 1-based line when one is
/// to blame, and the problem, as in <c>train.jsonl:17: field "label" is a number, not a string</c>.
/// </summary>
public sealed class DataFormatException : Exception
{
    public DataFormatException(string filePath, int? lineNumber, string problem, Exception? innerException = null)
        : base(lineNumber is int line ? $"{filePath}:{line}: {problem}" : $"{filePath}: {problem}", innerException)
    {
        FilePath = filePath;
        LineNumber = lineNumber;
        Problem = problem;
    }

    public string FilePath { get; }

    /// <summary>1-based line, or null when the problem concerns the file as a whole.</summary>
    public int? LineNumber { get; }

    /// <summary>The problem alone, without file and line.</summary>
    public string Problem { get; }
}
