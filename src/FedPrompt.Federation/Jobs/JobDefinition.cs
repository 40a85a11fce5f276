using System.IO.Compression;
using System.Text.RegularExpressions;
using FedPrompt.Formats;

namespace FedPrompt.Federation.Jobs;

/// <summary>
/// A job folder like NVFlare's: meta.json naming the job and its sites, the server app's
/// config.json (the workflow) and the site app's config.json (data and p-tuning settings).
/// </summary>
public sealed partial record JobDefinition(JobMeta Meta, ServerConfig Server, SiteConfig Site)
{
    public const string MetaFile = "meta.json";
    public const string ConfigFile = "config.json";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._@-]*$")]
    private static partial Regex SafeName();

    public static JobDefinition Load(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: job folder not found");
        var metaPath = Path.Combine(folder, MetaFile);
        var meta = StrictJson.Load<JobMeta>(metaPath);
        if (!SafeName().IsMatch(meta.Name)) throw new InvalidDataException($"{metaPath}: name \"{meta.Name}\" must be letters, digits, '.', '_', '-' or '@'");
        if (meta.Sites.Count == 0) throw new InvalidDataException($"{metaPath}: sites is empty");
        foreach (var name in meta.Sites)
            if (!SafeName().IsMatch(name)) throw new InvalidDataException($"{metaPath}: site name \"{name}\" is not valid");
        if (meta.Sites.Distinct().Count() != meta.Sites.Count) throw new InvalidDataException($"{metaPath}: a site is listed twice");

        var serverPath = Path.Combine(folder, meta.ServerApp, ConfigFile);
        var server = StrictJson.Load<ServerConfig>(serverPath).Validated(serverPath, meta.Sites.Count);
        var sitePath = Path.Combine(folder, meta.SiteApp, ConfigFile);
        if (!File.Exists(sitePath)) throw new FileNotFoundException($"{sitePath}: not found", sitePath);
        var site = ParseSiteConfig(File.ReadAllText(sitePath), sitePath);
        return new JobDefinition(meta, server, site);
    }

    public static SiteConfig ParseSiteConfig(string json, string origin)
    {
        var site = StrictJson.Parse<SiteConfig>(json, origin);
        site.Tuning.Validated(origin);
        return site;
    }

    /// <summary>The same job run on other sites (the simulator's --sites N).</summary>
    public JobDefinition WithSites(IReadOnlyList<string> sites) =>
        this with { Meta = Meta with { Sites = sites }, Server = Server with { MinClients = Math.Min(Server.MinClients, sites.Count) } };

    /// <summary>The job folder as a zip (how admin submits it).</summary>
    public static byte[] Zip(string folder)
    {
        Load(folder);
        var buffer = new MemoryStream();
        ZipFile.CreateFromDirectory(folder, buffer, CompressionLevel.Optimal, includeBaseDirectory: false);
        return buffer.ToArray();
    }

    /// <summary>Unpacks a submitted job into <paramref name="folder"/> and loads it; entries that
    /// would land outside the folder are refused.</summary>
    public static JobDefinition Unzip(byte[] zip, string folder)
    {
        Directory.CreateDirectory(folder);
        try
        {
            using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
            archive.ExtractToDirectory(folder, overwriteFiles: true);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw new InvalidDataException($"the submitted job is not a readable zip of a job folder: {e.Message}", e);
        }
        return Load(folder);
    }
}
