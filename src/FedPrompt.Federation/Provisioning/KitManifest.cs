using System.Text.Json;
using System.Text.Json.Nodes;
using FedPrompt.Formats;

namespace FedPrompt.Federation.Provisioning;

/// <summary>A startup kit's <c>kit.json</c>: whose kit it is and where the server is; a server's kit
/// also lists the project's sites, so the server can refuse a job naming a site nobody provisioned
/// (kits provisioned before that have no list, and their server checks no names).</summary>
sealed record KitManifest(string Project, string Name, ParticipantRole Role, string ServerHost, int ServerPort, IReadOnlyList<string>? Sites = null)
{
    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public void Write(string path)
    {
        var json = new JsonObject
        {
            ["project"] = Project,
            ["name"] = Name,
            ["role"] = Role.ToText(),
            ["server_host"] = ServerHost,
            ["server_port"] = ServerPort,
        };
        if (Sites is not null) json["sites"] = new JsonArray([.. Sites.Select(s => JsonValue.Create(s))]);
        AtomicFile.WriteAllText(path, json.ToJsonString(Indented) + "\n");
    }

    public static KitManifest Read(string path)
    {
        var json = StrictJsonObject.Load(path, "project", "name", "role", "server_host", "server_port", "sites");
        string role = json.String("role");
        if (!ParticipantRoles.TryParse(role, out var parsedRole))
            throw json.Error("role", $"must be {ParticipantRoles.Choices} (found \"{role}\")");
        int port = json.Int32("server_port");
        if (!ServerDefinition.IsValidPort(port)) throw json.Error("server_port", $"must be {ServerDefinition.PortRule} (found {port})");
        return new KitManifest(json.String("project"), json.String("name"), parsedRole, json.String("server_host"), port, json.OptionalStrings("sites"));
    }
}
