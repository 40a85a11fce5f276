using FedPrompt.Model.Training;
using FedPrompt.Tuning.Templates;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedPrompt.Tuning.Training;

public sealed record TrainingProgress(int Epoch, int Step, int StepsThisEpoch, int StepInEpoch, double Loss, double LearningRate, double ExamplesPerSecond);

/// <summary>What one epoch did: optimizer steps, examples used and their mean loss.</summary>
public sealed record EpochResult(int Epoch, int Steps, int Examples, double MeanLoss, double LearningRate, double Seconds);

/// <summary>
/// Trains a prompt encoder against its frozen GPT: AdamW with warmup + cosine, gradient clipping,
/// a global batch accumulated from micro-batches (the last incomplete global batch is dropped, as
/// NeMo's training sampler does), a seeded shuffle per epoch; training ends at max_steps, as in NeMo
/// and Hugging Face, even inside an epoch. The optimizer, the schedule position
/// and the epoch count live as long as the trainer, so a federated site calls <see cref="TrainEpoch"/>
/// round after round and continues where it left off, whatever weights the server sent.
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
        _optimizer = optim.AdamW(model.Encoder.parameters(), lr: options.LearningRate, beta1: options.Beta1, beta2: options.Beta2, weight_decay: options.WeightDecay);
        _schedule = new WarmupCosineSchedule(options.LearningRate, options.WarmupSteps, options.MaxSteps, options.MinLearningRate);
    }

    /// <summary>Optimizer steps taken so far (the schedule's position).</summary>
    public int Step { get; private set; }
    public int EpochsDone { get; private set; }

    public int StepsPerEpoch(int examples) => examples / _options.GlobalBatchSize;

    /// <summary>The schedule has reached max_steps: nothing is left to train.</summary>
    public bool Finished => Step >= _options.MaxSteps;

    /// <summary>How many steps <paramref name="epochs"/> epochs take from here: max_steps cuts them short.</summary>
    public int StepsFor(int epochs, int examples) => (int)Math.Min((long)epochs * StepsPerEpoch(examples), _options.MaxSteps - Step);

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
        int steps = StepsFor(1, examples.Count);
        var order = OrderOfEpoch(EpochsDone, examples.Count);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        int padId = _model.Base.Tokenizer.EndOfTextId;
        double lossSum = 0;
        double lr = 0;
        _model.Encoder.train();
        for (int step = 0; step < steps; step++)
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
            nn.utils.clip_grad_norm_(_model.Encoder.parameters(), _options.GradientClip);
            _optimizer.step();
            Step++;
            lossSum += stepLoss;
            progress?.Report(new TrainingProgress(EpochsDone + 1, Step, steps, step + 1, stepLoss, lr,
                (step + 1) * _options.GlobalBatchSize / clock.Elapsed.TotalSeconds));
        }
        _optimizer.zero_grad();
        _model.Encoder.eval();
        EpochsDone++;
        return new EpochResult(EpochsDone, steps, steps * _options.GlobalBatchSize, lossSum / steps, lr, clock.Elapsed.TotalSeconds);
    }
}
