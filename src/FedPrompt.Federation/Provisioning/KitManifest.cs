using System.Text.Json;
using FedPrompt.Formats;

namespace FedPrompt.Federation.Provisioning;

/// <summary>A startup kit's <c>kit.json</c>: whose kit it is and where the server is; a server's kit
/// also lists the project's sites, so the server can refuse a job naming a site nobody provisioned
/// (kits provisioned before that have no list, and their server checks no names).</summary>
sealed record KitManifest(string Project, string Name, ParticipantRole Role, string ServerHost, int ServerPort, IReadOnlyList<string>? Sites = null)
{
    public void Write(string path) =>
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(new KitFile
        {
            Project = Project, Name = Name, Role = Role.ToText(), ServerHost = ServerHost, ServerPort = ServerPort, Sites = Sites,
        }, StrictJson.Options) + "\n");

    public static KitManifest Read(string path)
    {
        var file = StrictJson.Load<KitFile>(path);
        if (!ParticipantRoles.TryParse(file.Role, out var role))
            throw new InvalidDataException($"{path}: \"role\" must be {ParticipantRoles.Choices} (found \"{file.Role}\")");
        if (!ServerDefinition.IsValidPort(file.ServerPort))
            throw new InvalidDataException($"{path}: \"server_port\" must be {ServerDefinition.PortRule} (found {file.ServerPort})");
        return new KitManifest(file.Project, file.Name, role, file.ServerHost, file.ServerPort, file.Sites);
    }

    sealed record KitFile
    {
        public required string Project { get; init; }
        public required string Name { get; init; }
        public required string Role { get; init; }
        public required string ServerHost { get; init; }
        public required int ServerPort { get; init; }
        public IReadOnlyList<string>? Sites { get; init; }
    }
}
