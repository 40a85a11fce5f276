using FedPrompt.Federation.Jobs;
using FedPrompt.Federation.Models;
using FedPrompt.Federation.Privacy;
using FedPrompt.Federation.Wire;
using FedPrompt.Model;
using FedPrompt.Tuning;
using FedPrompt.Tuning.Artefacts;
using Microsoft.Extensions.Logging;

namespace FedPrompt.Federation.Site;

/// <summary>
/// The training logic of a site (NVFlare's learner, apart from the executor that talks to the
/// server): a p-tuning session per job on the site's own data and the frozen base model, which may
/// be shared with other sites in the same process. The session — and with it the optimizer and
/// learning-rate schedule — lasts across rounds, whatever global weights each round brings. Each
/// local epoch's training loss goes to the log as it ends.
/// </summary>
public sealed class SiteLearner(string site, LanguageModel model, string dataFolder, ILogger? log = null) : ISiteLearner
{
    string? _jobId;
    string? _configJson;
    TuningSession? _session;
    SiteTaskConfig? _config;
    // The site's own secret for local privacy noise: the server must not be able to redraw it.
    NoiseKey? _noiseKey;
    ModelState? _initial;

    public string Site => site;

    /// <summary>Sets up for a job (again after a reconnect, keeping the session when the job is the
    /// same) and returns what the server needs: this site's facts and its initial encoder.</summary>
    public (SiteInfo Info, ModelState InitialEncoder) Configure(string jobId, string configJson)
    {
        if (_jobId != jobId || _configJson != configJson)
        {
            var config = SiteTaskConfig.Parse(configJson, $"job {jobId} site config");
            var files = config.Site;
            _session = TuningSession.Create(model, files.Tuning, files.TrainFor(site, dataFolder), files.ValidationFor(site, dataFolder));
            (_jobId, _configJson, _config) = (jobId, configJson, config);
            _noiseKey = config.Privacy?.CreateNoiseKey();
            _initial = EncoderState();
        }
        var session = _session!;
        var info = new SiteInfo(model.Identity, session.Answers, session.Train.Count, session.Validation.Count);
        // The encoder as the settings built it, also after training: the server checks that every
        // site built the same one.
        return (info, _initial!);
    }

    /// <summary>Validates the global model, trains it for the configured local epochs, and returns
    /// the difference (local − global), the optimizer steps taken and the metrics.</summary>
    public TrainOutcome Train(string jobId, int round, ModelState global, CancellationToken cancel)
    {
        var session = SessionFor(jobId);
        var metrics = Validate(jobId, global);
        session.Trainer.AnchorAtCurrentWeights();
        int stepsBefore = session.Trainer.Step;
        double trainLoss = 0;
        for (int epoch = 0; epoch < session.Settings.Epochs; epoch++)
        {
            var trained = session.TrainEpoch(cancel: cancel);
            trainLoss += trained.MeanLoss;
            log?.LogInformation("{Site}: job {Job}, round {Round}: local epoch {Epoch}/{Epochs}: training loss {Loss:F4} ({Steps} steps, {Seconds:F1} s)",
                site, jobId, round, epoch + 1, session.Settings.Epochs, trained.MeanLoss, trained.Steps, trained.Seconds);
        }
        metrics["train_loss"] = trainLoss / Math.Max(1, session.Settings.Epochs);
        metrics["train_examples"] = session.Train.Count;
        var difference = Difference(global);
        if (_config!.Privacy is { } privacy)
        {
            // Local differential privacy: the update is clipped and noised before it leaves the site.
            using var noise = _noiseKey!.Stream(jobId, round, site);
            var clip = LocalPrivatization.Privatize(difference, privacy, noise);
            metrics["update_norm"] = clip.Norm;
            metrics["update_clipped"] = clip.Clipped ? 1 : 0;
        }
        return new TrainOutcome(difference, session.Trainer.Step - stepsBefore, metrics);
    }

    /// <summary>Loads the global model and scores it on the site's validation file.</summary>
    public Dictionary<string, double> Validate(string jobId, ModelState global)
    {
        var session = SessionFor(jobId);
        Load(global);
        var metrics = new Dictionary<string, double> { ["validation_examples"] = session.Validation.Count };
        if (_config!.Site.ValidateAccuracy)
        {
            var result = session.Evaluate(session.Validation, generate: false);
            metrics["validation_loss"] = result.Loss;
            metrics["validation_accuracy"] = result.Accuracy;
        }
        else metrics["validation_loss"] = session.ValidationLoss();
        return metrics;
    }

    TuningSession SessionFor(string jobId) =>
        _jobId == jobId && _session is not null ? _session : throw new InvalidOperationException($"{site} is not configured for job {jobId}");

    void Load(ModelState global)
    {
        using var source = new ModelStateSource(global, "global model");
        EncoderWeights.Load(_session!.Model.Encoder, source, "global model");
    }

    ModelState EncoderState() => new(_session!.Model.Encoder.named_parameters()
        .Select(p => new NamedTensor(p.name, p.parameter.shape, p.parameter.detach().contiguous().data<float>().ToArray())).ToList());

    /// <summary>local − global, tensor by tensor (<see cref="Load"/> checked that the global model fits the encoder).</summary>
    ModelState Difference(ModelState global)
    {
        var local = EncoderState();
        var before = global.Tensors.ToDictionary(t => t.Name);
        return new(local.Tensors.Select(t =>
        {
            var start = before[t.Name].Values;
            return t with { Values = t.Values.Select((value, i) => value - start[i]).ToArray() };
        }).ToList());
    }
}
