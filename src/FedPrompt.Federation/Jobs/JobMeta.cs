namespace FedPrompt.Federation.Jobs;

/// <summary>meta.json: the job's name, the sites it runs on, and its apps' folders (as NVFlare's job folders).</summary>
public sealed record JobMeta
{
    public required string Name { get; init; }
    public required IReadOnlyList<string> Sites { get; init; }
    public string ServerApp { get; init; } = "app_server";
    public string SiteApp { get; init; } = "app_site";
}
