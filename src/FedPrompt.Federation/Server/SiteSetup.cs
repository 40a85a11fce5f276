using System.Text.Json;
using FedPrompt.Federation.Models;
using FedPrompt.Federation.Messages;
using FedPrompt.Federation.Wire;
using FedPrompt.Formats.Checkpoints;

namespace FedPrompt.Federation.Server;

/// <summary>What an accepted configure result adds to the job: the base model and answers it
/// reported, and, from the first site, the initial encoder that becomes the round-0 global model.</summary>
public sealed record SiteConfigured(SiteInfo Info, string BaseModelJson, ModelState? Initial);

/// <summary>
/// The configure step of every site: its report (base model, answers, data sizes) and initial
/// encoder are checked against the job's. A site that cannot set up (its data is missing, its
/// settings do not fit) is asked again a few times, then left out of the job; when too few sites
/// are left, the job cannot go on. Not thread-safe: the workflow's lock guards it.
/// </summary>
public sealed class SiteSetup(int sites, int minClients)
{
    public const int MaxAttempts = 3;

    readonly Dictionary<string, int> _failures = new(StringComparer.Ordinal);
    readonly Dictionary<string, string> _leftOut = new(StringComparer.Ordinal);

    /// <summary>Why the site was left out of the job, or null while it is in.</summary>
    public string? LeftOut(string site) => _leftOut.GetValueOrDefault(site);

    /// <summary>Why the job cannot go on: fewer than min_clients sites are left to set up; null while it can.</summary>
    public string? CannotGoOn => sites - _leftOut.Count < minClients
        ? $"fewer than min_clients {minClients} sites could set up: {string.Join("; ", _leftOut.Select(e => $"{e.Key}: {e.Value}"))}"
        : null;

    /// <summary>The site's set-up failed; after <see cref="MaxAttempts"/> it is left out.</summary>
    /// <returns>True when this failure left the site out.</returns>
    public bool Failed(string site, string error)
    {
        _failures[site] = _failures.GetValueOrDefault(site) + 1;
        if (_failures[site] < MaxAttempts) return false;
        _leftOut[site] = error;
        return true;
    }

    /// <summary>Reads and checks a configure result: the reason it is refused, or what it configures.</summary>
    /// <param name="baseModelJson">The base model the job's sites reported so far, or null before the first.</param>
    /// <param name="global">The job's global model, or null before the first site's initial encoder.</param>
    public static (string? Refused, SiteConfigured? Configured) Check(string site, SiteResult header, Stream? payload, string? baseModelJson, ModelState? global)
    {
        SiteInfo info;
        try
        {
            info = JsonSerializer.Deserialize<SiteInfo>(header.SiteInfoJson, JobState.Json) ?? throw new JsonException("empty");
        }
        catch (JsonException e)
        {
            return ($"unreadable site information: {e.Message}", null);
        }
        var baseModel = JsonSerializer.Serialize(info.BaseModel, JobState.Json);
        if (baseModelJson is not null && baseModelJson != baseModel)
            return ($"its base model ({info.BaseModel.Architecture}, {info.BaseModel.Fingerprint[..Math.Min(12, info.BaseModel.Fingerprint.Length)]}…) differs from the job's", null);
        if (payload is null) return ("no initial encoder in the configure result", null);
        try
        {
            using var source = SafeTensorsFile.Open(payload, $"{site}'s initial encoder", leaveOpen: true);
            if (global is not null && global.Mismatch(source) is { } mismatch) return ($"its encoder does not fit the job's: {mismatch}", null);
            // Every site builds the same initial encoder from the shared settings; the first one starts the job
            // and the others' need not be read.
            return (null, new SiteConfigured(info, baseModel, global is null ? ModelState.Read(source) : null));
        }
        catch (InvalidDataException e)
        {
            return (e.Message, null);
        }
    }
}
