using FedPrompt.Federation.Privacy;
using FedPrompt.Formats;

namespace FedPrompt.Federation.Jobs;

/// <summary>What a configure task hands a site: the job's site app config, and what of the server's
/// settings the site must act on itself (local privacy; masking its updates for secure aggregation).</summary>
public sealed record SiteTaskConfig(SiteConfig Site, PrivacySettings? Privacy = null, bool SecureAggregation = false)
{
    public static SiteTaskConfig For(JobDefinition job) =>
        new(job.Site, job.Server.Privacy?.Mode == PrivacyMode.Local ? job.Server.Privacy : null, job.Server.SecureAggregation);

    public string ToJson() => System.Text.Json.JsonSerializer.Serialize(this, StrictJson.Options);

    public static SiteTaskConfig Parse(string json, string origin)
    {
        var config = StrictJson.Parse<SiteTaskConfig>(json, origin);
        config.Site.Tuning.Validated(origin);
        config.Privacy?.Validated(origin);
        return config;
    }
}
