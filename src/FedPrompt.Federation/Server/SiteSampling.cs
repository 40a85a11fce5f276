using System.Security.Cryptography;
using System.Text;
using FedPrompt.Federation.Jobs;

namespace FedPrompt.Federation.Server;

/// <summary>
/// Which sites a training round asks (<see cref="ServerConfig.SampleSize"/> of them): the ones whose
/// SHA-256 of (sampling seed, round, site) is smallest. The same job draws the same sites on any
/// machine and after any restart, and each site's chance is the same every round.
/// </summary>
public static class SiteSampling
{
    /// <param name="sites">The job's sites still in it (not left out).</param>
    public static IReadOnlyList<string> Draw(ServerConfig server, IReadOnlyList<string> sites, int round)
    {
        int size = server.SampleSize(sites.Count);
        if (size >= sites.Count) return sites;
        return sites.OrderBy(site => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{server.SamplingSeed}/{round}/{site}"))), StringComparer.Ordinal)
            .Take(size).Order(StringComparer.Ordinal).ToList();
    }
}
