namespace FedPrompt.Federation.Grpc;

/// <summary>Who is calling, from their certificate: a site by its name, or an admin.</summary>
public sealed record Peer(string Name, string Role)
{
    public const string SiteRole = "site";
    public const string AdminRole = "admin";
}
