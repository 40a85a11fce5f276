using FedPrompt.Federation.Models;

namespace FedPrompt.Federation.Privacy;

/// <summary>
/// Local mode, on the site: the update is clipped to norm C and N(0, (zC)²) is added to every value
/// before it leaves the site, so what the server receives is already private and anything the server
/// does with it — FedAvg with step-count weights included — is post-processing. Per round this is
/// the Gaussian mechanism with sensitivity 2C (any two clipped updates differ by at most the ball's
/// diameter), hence the accountant's z / 2 (<see cref="PrivacySettings.AccountedNoiseMultiplier"/>).
/// </summary>
public static class LocalPrivatization
{
    /// <summary>Clips and noises <paramref name="update"/> (the site's weight difference) in place.</summary>
    /// <param name="noise">The site's own stream for this round, under a key only the site knows.</param>
    public static ClipResult Privatize(ModelState update, PrivacySettings settings, GaussianNoise noise)
    {
        if (settings.Mode != PrivacyMode.Local)
            throw new ArgumentException($"sites noise their own updates only in local mode; in {settings.Mode} mode the server clips and noises (DpAggregation)");
        var clip = UpdateClipper.Clip(update, settings.ClipNorm);
        foreach (var tensor in update.Tensors) noise.AddTo(tensor.Values, settings.NoiseStandardDeviation);
        return clip;
    }
}
