namespace FedPrompt.Cli;

/// <summary>
/// The known name a mistyped one most likely meant: a few letters off (--epoch for --epochs), or
/// spelled out where the name is its initials (--learning-rate for --lr).
/// </summary>
public static class ClosestName
{
    public static string? Find(string typed, IEnumerable<string> known) => known
        .Select(name => (Name: name, Distance: Distance(Bare(typed), Bare(name))))
        .Where(c => c.Distance <= Math.Max(2, Math.Max(Bare(typed).Length, Bare(c.Name).Length) / 3))
        .OrderBy(c => c.Distance)
        .Select(c => c.Name)
        .FirstOrDefault();

    static string Bare(string name) => name.TrimStart('-').ToLowerInvariant();

    static int Distance(string a, string b) => Initials(a) == b || Initials(b) == a ? 1 : Levenshtein(a, b);

    static string Initials(string name) => name.Contains('-') ? string.Concat(name.Split('-', StringSplitOptions.RemoveEmptyEntries).Select(w => w[0])) : name;

    static int Levenshtein(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            previous = current;
        }
        return previous[b.Length];
    }
}
