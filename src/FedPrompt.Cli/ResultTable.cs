using Spectre.Console;

namespace FedPrompt.Cli;

/// <summary>
/// A table on stdout: drawn with borders on a terminal; when stdout is piped or redirected, a header
/// line and a line per row with the cells separated by tabs, so a script can cut them and no value
/// (a job id) is ever wrapped or shortened to fit a width.
/// </summary>
public sealed class ResultTable(params string[] columns)
{
    readonly List<string[]> _rows = [];

    public ResultTable Add(params string[] cells)
    {
        _rows.Add(cells);
        return this;
    }

    public void Write()
    {
        if (Console.IsOutputRedirected)
        {
            foreach (var line in _rows.Prepend(columns)) Console.Out.WriteLine(string.Join('\t', line.Select(Plain)));
            return;
        }
        var table = new Table();
        foreach (var column in columns) table.AddColumn(new TableColumn(Markup.Escape(column)));
        // Ids stay whole; the other columns wrap if the terminal is narrow.
        table.Columns[0].NoWrap();
        foreach (var row in _rows) table.AddRow(row.Select(Markup.Escape).ToArray());
        AnsiConsole.Write(table);
    }

    static string Plain(string cell) => cell.Replace('\t', ' ').Replace('\n', ' ').Replace('\r', ' ');
}
