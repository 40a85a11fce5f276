using FedPrompt.Federation.Provisioning;
using FedPrompt.Testing;

namespace FedPrompt.Federation.Tests.Provisioning;

/// <summary>A project provisioned into a fresh temporary folder: server, site-1, site-2 (or as many as asked) and one admin.</summary>
public sealed class ProvisionedProject : IDisposable
{
    public const string Admin = "admin@example.org";

    readonly TemporaryDirectory _temporary = new();

    public ProvisionedProject() : this("fedprompt-test")
    {
    }

    public ProvisionedProject(string name, string host = "localhost", int port = 8443, int sites = 2)
    {
        Definition = Define(name, host, port, sites);
        OutDir = _temporary.File("kits");
        Provisioner.Provision(Definition, OutDir);
    }

    public ProjectDefinition Definition { get; }

    public string OutDir { get; }

    /// <summary>The folder the project was provisioned next to, where nothing else should be left.</summary>
    public string Parent => _temporary.Path;

    public static ProjectDefinition Define(string name, string host = "localhost", int port = 8443, int sites = 2) =>
        new(name, new ServerDefinition("server", host, port), Enumerable.Range(1, sites).Select(i => $"site-{i}").ToList(), [Admin], validityDays: 30);

    public string Kit(string participant) => Path.Combine(OutDir, participant);

    public StartupKit LoadKit(string participant) => StartupKit.Load(Kit(participant));

    public void Dispose() => _temporary.Dispose();
}
