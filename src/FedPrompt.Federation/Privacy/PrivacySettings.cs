using System.Text.Json.Serialization;

namespace FedPrompt.Federation.Privacy;

/// <summary>
/// Differential privacy for model updates, as a job's server config states it under "privacy"
/// (snake_case keys). The protected unit is a site: the guarantee bounds what the released models
/// (central mode) or a site's sent updates (local mode) reveal about the site's whole training data,
/// not one sentence of it.
/// </summary>
public sealed record PrivacySettings
{
    public required PrivacyMode Mode { get; init; }

    /// <summary>C: each update's global L2 norm (over all tensors) is scaled down to at most this.</summary>
    public required double ClipNorm { get; init; }

    /// <summary>z: the noise's standard deviation is z·C. 0 clips without noise, which gives no
    /// privacy (ε = ∞) but shows what clipping alone costs in accuracy.</summary>
    public required double NoiseMultiplier { get; init; }

    /// <summary>δ of the (ε, δ) guarantee reported; well below 1 / (number of sites).</summary>
    public double Delta { get; init; } = 1e-5;

    /// <summary>q: the probability with which each site is drawn, independently, into a round (Poisson
    /// sampling), central mode only. Our federations run every site every round, so q = 1, and with
    /// q = 1 there is no amplification by subsampling: each round costs the plain Gaussian mechanism's
    /// α / (2z²). A smaller q is only honest if the server really samples that way.</summary>
    public double SamplingRate { get; init; } = 1;

    /// <summary>Seeds the noise reproducibly, for experiments; without it each participant draws a
    /// secret key (<see cref="NoiseKey.CreateRandom"/>). A job whose seed others can read has no
    /// privacy from them.</summary>
    public ulong? NoiseSeed { get; init; }

    /// <summary>σ = z·C: the noise added to the sum of clipped updates (central) or to each clipped
    /// update (local).</summary>
    [JsonIgnore]
    public double NoiseStandardDeviation => NoiseMultiplier * ClipNorm;

    /// <summary>
    /// The noise multiplier relative to the mechanism's actual sensitivity, which the accountant needs.
    /// Central: adding or removing one site changes the sum of clipped updates by at most C, so z.
    /// Local: the server sees each site's update itself, and any two clipped updates differ by up to
    /// 2C (the ball's diameter), so z / 2.
    /// </summary>
    [JsonIgnore]
    public double AccountedNoiseMultiplier => Mode == PrivacyMode.Central ? NoiseMultiplier : NoiseMultiplier / 2;

    public PrivacySettings Validated(string origin)
    {
        void Require(bool ok, string problem)
        {
            if (!ok) throw new InvalidDataException($"{origin}: privacy.{problem}");
        }
        Require(Enum.IsDefined(Mode), $"mode must be \"central\" or \"local\" (got {(int)Mode})");
        Require(ClipNorm > 0 && double.IsFinite(ClipNorm), $"clip_norm must be a finite number > 0 (got {ClipNorm})");
        Require(NoiseMultiplier >= 0 && double.IsFinite(NoiseMultiplier), $"noise_multiplier must be a finite number ≥ 0 (got {NoiseMultiplier})");
        Require(Delta > 0 && Delta < 1, $"delta must be between 0 and 1, exclusive (got {Delta})");
        Require(SamplingRate > 0 && SamplingRate <= 1, $"sampling_rate must be in (0, 1] (got {SamplingRate})");
        Require(Mode == PrivacyMode.Central || SamplingRate == 1,
            $"sampling_rate must be 1 in local mode (got {SamplingRate}): the server sees whether a site took part, so sampling does not amplify local privacy");
        return this;
    }

    public NoiseKey CreateNoiseKey() => NoiseSeed is { } seed ? NoiseKey.FromSeed(seed) : NoiseKey.CreateRandom();

    /// <summary>The guarantee after <paramref name="rounds"/> noisy releases: what a job of that
    /// many rounds will have spent, for planning or to print when the job is loaded.</summary>
    public PrivacyGuarantee GuaranteeAfter(int rounds)
    {
        var accountant = new RdpAccountant();
        accountant.Compose(AccountedNoiseMultiplier, SamplingRate, rounds);
        return accountant.Guarantee(Delta);
    }
}
