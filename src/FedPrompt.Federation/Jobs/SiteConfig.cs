using FedPrompt.Formats.Settings;


namespace FedPrompt.Federation.Jobs;

/// <summary>
/// The site app's config.json, shared with every site when the job starts: which local files to
/// train and validate on ("{site}" becomes the site's name; relative paths are under the site's data
/// folder) and the p-tuning settings (template, encoder, optimisation, local epochs per round).
/// </summary>
public sealed record SiteConfig
{
    public required string Train { get; init; }
    public required string Validation { get; init; }
    public TuningSettings Tuning { get; init; } = new();
    /// <summary>Also score the answers on the validation file each round (accuracy beside the loss).</summary>
    public bool ValidateAccuracy { get; init; } = true;

    public string TrainFor(string site, string dataFolder) => Resolve(Train, site, dataFolder);
    public string ValidationFor(string site, string dataFolder) => Resolve(Validation, site, dataFolder);

    static string Resolve(string pattern, string site, string dataFolder) =>
        Path.GetFullPath(Path.Combine(dataFolder, pattern.Replace("{site}", site)));
}
