using System.Text.Json.Serialization;

namespace FedPrompt.Federation.Privacy;

/// <summary>Who clips and noises a site's update, and so whom the guarantee protects the site from.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PrivacyMode>))]
public enum PrivacyMode
{
    /// <summary>The server clips each site's update and adds Gaussian noise once to their sum
    /// (DP-FedAvg). Protects a site from everyone who sees the global models (other sites, whoever
    /// gets the result), not from the server, which sees the raw updates.</summary>
    [JsonStringEnumMemberName("central")] Central,

    /// <summary>Each site clips and noises its own update before sending it. Protects a site from the
    /// server too, at the cost of noise in every update rather than once per round.</summary>
    [JsonStringEnumMemberName("local")] Local,
}
