using FedPrompt.Formats.Settings;
using FedPrompt.Model.Training;
using FedPrompt.Tuning.Templates;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedPrompt.Tuning.Training;

public sealed record TrainingProgress(int Epoch, int Step, int StepsThisEpoch, int StepInEpoch, double Loss, double LearningRate, double ExamplesPerSecond);

/// <summary>What one epoch did: optimizer steps, examples used and their mean loss.</summary>
public sealed record EpochResult(int Epoch, int Steps, int Examples, double MeanLoss, double LearningRate, double Seconds);

/// <summary>Where a trainer stands: optimizer steps taken, whole epochs done, and how far it got into
/// the next one (its steps, their summed loss and time), so an interrupted epoch can be finished.</summary>
public sealed record TrainerPosition(int Step, int EpochsDone, int StepInEpoch = 0, double EpochLossSum = 0, double EpochSeconds = 0);

/// <summary>
/// Trains a prompt encoder against its frozen GPT: AdamW with warmup + cosine, gradient clipping,
/// a global batch accumulated from micro-batches (the last incomplete global batch is dropped, as
/// NeMo's training sampler does), a seeded shuffle per epoch; training ends at max_steps, as in NeMo
/// and Hugging Face, even inside an epoch. The optimizer, the schedule position
/// and the epoch count live as long as the trainer, so a federated site calls <see cref="TrainEpoch"/>
/// round after round and continues where it left off, whatever weights the server sent. An epoch
/// cut short by cancellation is finished by the next call, which is what lets a checkpoint of the
/// <see cref="Position"/> and the optimizer resume a run exactly.
/// </summary>
public sealed class PromptTrainer
{
    readonly PromptedModel _model;
    readonly TrainingOptions _options;
    readonly AdamW _optimizer;
    readonly WarmupCosineSchedule _schedule;
    readonly bool _answerOnly;

    public PromptTrainer(PromptedModel model, TrainingOptions options, bool answerOnlyLoss = true)
    {
        _model = model;
        _options = options.Validated();
        _answerOnly = answerOnlyLoss;
        _optimizer = optim.AdamW(model.Encoder.Trainable().Select(p => p.Parameter), lr: options.LearningRate, beta1: options.Beta1, beta2: options.Beta2, weight_decay: options.WeightDecay);
        _schedule = new WarmupCosineSchedule(options.LearningRate, options.WarmupSteps, options.MaxSteps, options.MinLearningRate);
    }

    /// <summary>FedProx's anchor: the global model of the round in progress, or null outside federation.</summary>
    Tensor[]? _anchor;

    /// <summary>Takes the encoder's weights now (the round's global model, just loaded) as the point
    /// FedProx's proximal term pulls towards, until the next call.</summary>
    public void AnchorAtCurrentWeights()
    {
        if (_options.ProximalMu == 0) return;
        foreach (var old in _anchor ?? []) old.Dispose();
        using (no_grad()) _anchor = _model.Encoder.Trainable().Select(p => p.Parameter.detach().clone()).ToArray();
    }

    /// <summary>Adds the gradient of μ/2·‖w − anchor‖², μ·(w − anchor), to each weight's gradient:
    /// once per optimizer step (the term belongs to the step's loss, not to each micro-batch's), in
    /// fp32 like the weights, and before clipping, as if it were part of the loss. The reported
    /// training loss stays the task's own.</summary>
    internal void AddProximalGradient()
    {
        if (_anchor is null) return;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        foreach (var (weight, anchor) in _model.Encoder.Trainable().Select(p => p.Parameter).Zip(_anchor))
            weight.grad?.add_(weight - anchor, alpha: _options.ProximalMu);
    }

    /// <summary>Optimizer steps taken so far (the schedule's position).</summary>
    public int Step => Position.Step;
    public int EpochsDone => Position.EpochsDone;
    public TrainerPosition Position { get; private set; } = new(0, 0);

    /// <summary>The optimizer, whose moments a checkpoint keeps (one per trainable encoder parameter, in the encoder's parameter order).</summary>
    internal AdamW Optimizer => _optimizer;

    /// <summary>Continues from a checkpoint's position; the optimizer's state is restored beside it.</summary>
    internal void MoveTo(TrainerPosition position) => Position = position;

    public int StepsPerEpoch(int examples) => examples / _options.GlobalBatchSize;

    /// <summary>The schedule has reached max_steps: nothing is left to train.</summary>
    public bool Finished => Step >= _options.MaxSteps;

    /// <summary>How many steps a run of <paramref name="epochs"/> epochs takes in all: max_steps cuts it short.</summary>
    public int StepsFor(int epochs, int examples) => (int)Math.Min((long)epochs * StepsPerEpoch(examples), _options.MaxSteps);

    /// <summary>The seeded shuffle epoch <paramref name="epoch"/> (0-based) visits <paramref name="count"/> examples in.</summary>
    public int[] OrderOfEpoch(int epoch, int count)
    {
        var order = Enumerable.Range(0, count).ToArray();
        new Random(unchecked((int)(_options.Seed * 1_000_003 + epoch))).Shuffle(order);
        return order;
    }

    public EpochResult TrainEpoch(IReadOnlyList<TokenizedExample> examples, IProgress<TrainingProgress>? progress = null, CancellationToken cancel = default)
    {
        if (StepsPerEpoch(examples.Count) == 0)
            throw new ArgumentException($"{examples.Count} training examples do not fill one global batch of {_options.GlobalBatchSize}; lower the global batch size");
        if (Finished) throw new InvalidOperationException($"training already reached max_steps ({_options.MaxSteps}); raise max_steps to train further");
        var start = Position;
        // Counted from the epoch's first step, so an epoch finished after an interruption ends where it would have.
        int steps = Math.Min(StepsPerEpoch(examples.Count), _options.MaxSteps - (start.Step - start.StepInEpoch));
        var order = OrderOfEpoch(start.EpochsDone, examples.Count);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        int padId = _model.Base.Tokenizer.EndOfTextId;
        double lr = 0;
        _model.Encoder.train();
        for (int step = start.StepInEpoch; step < steps; step++)
        {
            cancel.ThrowIfCancellationRequested();
            lr = _schedule.At(Step);
            foreach (var group in _optimizer.ParamGroups) group.LearningRate = lr;
            _optimizer.zero_grad();
            double stepLoss = 0;
            for (int micro = 0; micro < _options.MicroBatchesPerStep; micro++)
            {
                using var scope = NewDisposeScope();
                int first = step * _options.GlobalBatchSize + micro * _options.MicroBatchSize;
                var microExamples = order[first..(first + _options.MicroBatchSize)].Select(i => examples[i]).ToList();
                using var batch = PromptBatch.Create(microExamples, padId, _answerOnly);
                // Megatron's convention: each micro-batch's mean loss, averaged over the global batch.
                var loss = _model.Loss(batch) / _options.MicroBatchesPerStep;
                loss.backward();
                stepLoss += loss.item<float>();
            }
            AddProximalGradient();
            nn.utils.clip_grad_norm_(_model.Encoder.Trainable().Select(p => p.Parameter), _options.GradientClip);
            _optimizer.step();
            Position = Position with
            {
                Step = Position.Step + 1, StepInEpoch = step + 1, EpochLossSum = Position.EpochLossSum + stepLoss,
                EpochSeconds = start.EpochSeconds + clock.Elapsed.TotalSeconds,
            };
            progress?.Report(new TrainingProgress(start.EpochsDone + 1, Step, steps, step + 1, stepLoss, lr,
                (step + 1 - start.StepInEpoch) * _options.GlobalBatchSize / clock.Elapsed.TotalSeconds));
        }
        _optimizer.zero_grad();
        _model.Encoder.eval();
        var done = Position;
        Position = new TrainerPosition(done.Step, done.EpochsDone + 1);
        return new EpochResult(EpochsDone, steps, steps * _options.GlobalBatchSize, done.EpochLossSum / steps, lr, start.EpochSeconds + clock.Elapsed.TotalSeconds);
    }
}
