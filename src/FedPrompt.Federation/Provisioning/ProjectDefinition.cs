using FedPrompt.Formats;

namespace FedPrompt.Federation.Provisioning;

/// <summary>
/// Who takes part in a federated project and where the server listens, as written in
/// <c>project.json</c>:
/// <code>{"name": "fedprompt-fpb", "server": {"name": "server", "host": "localhost", "port": 8443},
///  "sites": ["site-1", "site-2"], "admins": ["admin@example.org"], "validity_days": 365}</code>
/// (<c>admins</c> may be omitted). Every instance is valid: the constructor and <see cref="Load"/>
/// apply the same rules.
/// </summary>
public sealed class ProjectDefinition
{
    // Ten years: long enough for any study, short enough that a forgotten CA key ages out.
    public const int MaxValidityDays = 3650;
    public const int DefaultValidityDays = 365;

    public ProjectDefinition(string name, ServerDefinition server, IReadOnlyList<string> sites,
        IReadOnlyList<string>? admins, int validityDays)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(sites);
        admins ??= [];
        if (FindProblem(name, server, sites, admins, validityDays) is { } problem)
            throw new ArgumentException($"invalid project definition: \"{problem.Key}\" {problem.Text}");
        Name = name;
        Server = server;
        Sites = [.. sites];
        Admins = [.. admins];
        ValidityDays = validityDays;
    }

    public string Name { get; }

    public ServerDefinition Server { get; }

    public IReadOnlyList<string> Sites { get; }

    public IReadOnlyList<string> Admins { get; }

    /// <summary>How long the CA and every participant's certificate stay valid, from provisioning.</summary>
    public int ValidityDays { get; }

    /// <summary>The server, then the sites, then the admins: everyone who gets a startup kit.</summary>
    public IEnumerable<(string Name, ParticipantRole Role)> Participants =>
        Enumerate(Server.Name, Sites, Admins).Select(p => (p.Name, p.Role));

    /// <summary>Reads <c>project.json</c>; any unknown key, wrong type, missing key or invalid value is an
    /// <see cref="InvalidDataException"/> naming the file and the key.</summary>
    public static ProjectDefinition Load(string path)
    {
        var file = StrictJson.Load<ProjectFile>(path);
        var server = new ServerDefinition(file.Server.Name, file.Server.Host, file.Server.Port);
        if (FindProblem(file.Name, server, file.Sites, file.Admins, file.ValidityDays) is { } problem)
            throw new InvalidDataException($"{path}: \"{problem.Key}\" {problem.Text}");
        return new ProjectDefinition(file.Name, server, file.Sites, file.Admins, file.ValidityDays);
    }

    // Properties rather than constructor parameters: System.Text.Json then names the key's own type,
    // not the enclosing one, when a value has the wrong kind.
    sealed record ProjectFile
    {
        public required string Name { get; init; }
        public required ServerFile Server { get; init; }
        public required IReadOnlyList<string> Sites { get; init; }
        public IReadOnlyList<string> Admins { get; init; } = [];
        public int ValidityDays { get; init; } = DefaultValidityDays;
    }

    sealed record ServerFile
    {
        public required string Name { get; init; }
        public required string Host { get; init; }
        public required int Port { get; init; }
    }

    /// <summary>The first rule broken, keyed by the value's path in <c>project.json</c>.</summary>
    static (string Key, string Text)? FindProblem(string name, ServerDefinition server, IReadOnlyList<string> sites,
        IReadOnlyList<string> admins, int validityDays)
    {
        static string NameRule(string value) => $"must be {ParticipantNames.Rule} (found \"{value}\")";

        if (!ParticipantNames.IsValid(name)) return ("name", NameRule(name));
        if (!HostNames.IsValid(server.Host)) return ("server.host", $"must be {HostNames.Rule} (found \"{server.Host}\")");
        if (!ServerDefinition.IsValidPort(server.Port))
            return ("server.port", $"must be {ServerDefinition.PortRule} (found {server.Port})");
        if (sites.Count == 0) return ("sites", "must name at least one site");
        // Case-insensitively, because each participant's kit is a folder and some file systems ignore case.
        var seen = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, participant, _) in Enumerate(server.Name, sites, admins))
        {
            if (!ParticipantNames.IsValid(participant)) return (key, NameRule(participant));
            if (participant.Equals(Provisioner.CaFolderName, StringComparison.OrdinalIgnoreCase))
                return (key, $"must not be \"{participant}\": that folder holds the CA's key");
            if (seen.TryGetValue(participant, out string? firstKey))
                return (key, $"repeats the name \"{participant}\" of \"{firstKey}\" (names must be unique, ignoring case)");
            seen.Add(participant, key);
        }
        if (validityDays is < 1 or > MaxValidityDays)
            return ("validity_days", $"must be from 1 to {MaxValidityDays} (found {validityDays})");
        return null;
    }

    /// <summary>Every participant with the path of its name in <c>project.json</c>.</summary>
    static IEnumerable<(string Key, string Name, ParticipantRole Role)> Enumerate(string server,
        IReadOnlyList<string> sites, IReadOnlyList<string> admins) =>
        new[] { ("server.name", server, ParticipantRole.Server) }
            .Concat(sites.Select((site, i) => ($"sites[{i}]", site, ParticipantRole.Site)))
            .Concat(admins.Select((admin, i) => ($"admins[{i}]", admin, ParticipantRole.Admin)));
}
