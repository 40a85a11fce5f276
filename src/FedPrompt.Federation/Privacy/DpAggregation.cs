using FedPrompt.Federation.Models;
using FedPrompt.Formats.Checkpoints;

namespace FedPrompt.Federation.Privacy;

/// <summary>
/// One round of central-mode DP-FedAvg (McMahan et al. 2018, "Learning differentially private
/// recurrent language models"): every site's difference is clipped to norm C and added with weight
/// 1; the round ends with next = global + (Σ clipped + N(0, (zC)²)) / n, n the number of updates.
///
/// Equal weights are the point, not a simplification. The privacy comes from the noise being large
/// against the most one site can move the aggregate, and with weights wₖ that is C·max wₖ / Σw:
/// weighting by local step counts, as plain FedAvg does, lets a site with many steps move the model
/// further than the noise was sized for, and makes the sensitivity depend on the sites' data sizes.
/// So this takes no weights. (Fixed weights known in advance, each bounded by w_max, would work with
/// noise scaled by w_max; nothing here needs them.) The step counts themselves, and any metrics the
/// sites report, are outside the guarantee.
///
/// Guarantee, per round: z-Gaussian noise on a sum that adding or removing one site changes by at
/// most C, with n treated as public — what <see cref="RdpAccountant"/> composes with
/// <see cref="PrivacySettings.AccountedNoiseMultiplier"/>. Sums are kept in double, as FedAvg's.
/// </summary>
public sealed class DpAggregation
{
    readonly ModelState _global;
    readonly double _clipNorm;
    readonly double _noiseStandardDeviation;
    readonly GaussianNoise _noise;
    readonly double[][] _sums;
    readonly TensorScratch _scratch = new();
    bool _finished;

    /// <param name="noise">The server's own stream for this round (e.g. <see cref="NoiseKey.Stream"/>
    /// with the job id, round and "server"); drawn from in <see cref="Finish"/>.</param>
    public DpAggregation(ModelState global, PrivacySettings settings, GaussianNoise noise)
    {
        if (settings.Mode != PrivacyMode.Central)
            throw new ArgumentException($"DP aggregation is central mode's; in {settings.Mode} mode each site noises its own update (LocalPrivatization) and the server averages them as usual");
        _global = global;
        _clipNorm = settings.ClipNorm;
        _noiseStandardDeviation = settings.NoiseStandardDeviation;
        _noise = noise;
        _sums = global.Tensors.Select(t => new double[t.Values.Length]).ToArray();
    }

    public int Count { get; private set; }

    /// <summary>How many of the updates were scaled down: a fraction near 1 means C is too small
    /// (updates lose their direction's size), near 0 that it is larger than needed (more noise than
    /// necessary relative to the updates).</summary>
    public int ClippedCount { get; private set; }

    /// <summary>Clips one site's difference (same layout as the global model, finite: checked by the
    /// caller, as for FedAvg) and adds it with weight 1. Reads the difference twice, tensor by tensor:
    /// once for its norm, once to add it.</summary>
    public ClipResult Add(ITensorSource difference)
    {
        RequireOpen();
        double sumOfSquares = 0;
        foreach (var tensor in _global.Tensors)
            sumOfSquares += UpdateClipper.SumOfSquares(_scratch.Read(difference.Tensors[tensor.Name]));
        var clip = ClipResult.For(Math.Sqrt(sumOfSquares), _clipNorm);
        for (int i = 0; i < _global.Tensors.Count; i++)
        {
            var values = _scratch.Read(difference.Tensors[_global.Tensors[i].Name]);
            var sum = _sums[i];
            for (int j = 0; j < values.Length; j++) sum[j] += clip.Scale * values[j];
        }
        Count++;
        if (clip.Clipped) ClippedCount++;
        return clip;
    }

    /// <summary>The next global model: the noisy mean of the clipped differences added to the round's
    /// global. With no updates the global comes back unchanged and no noise is drawn: nothing about any
    /// site was released. Once per round: the noise goes into the sums.</summary>
    public ModelState Finish()
    {
        RequireOpen();
        _finished = true;
        if (Count == 0) return _global.Clone();
        return new ModelState(_global.Tensors.Select((tensor, i) =>
        {
            var sum = _sums[i];
            _noise.AddTo(sum, _noiseStandardDeviation);
            var next = new float[sum.Length];
            for (int j = 0; j < next.Length; j++) next[j] = (float)(tensor.Values[j] + sum[j] / Count);
            return tensor with { Values = next };
        }).ToList());
    }

    void RequireOpen()
    {
        if (_finished) throw new InvalidOperationException("this round's aggregation is finished");
    }
}
