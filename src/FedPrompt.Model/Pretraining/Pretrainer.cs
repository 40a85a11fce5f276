using System.Diagnostics;
using System.Text.Json;
using FedPrompt.Formats;
using FedPrompt.Formats.Settings;
using FedPrompt.Model.Native;
using FedPrompt.Model.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedPrompt.Model.Pretraining;

public sealed record PretrainingProgress(int Step, int Steps, long Tokens, double TokensPerSecond, double Loss, double LearningRate, double? HeldOutLoss);

/// <summary>What a finished run reports, and writes as pretraining.json beside the model.</summary>
public sealed record PretrainingResult(
    PretrainingOptions Options, int TrainArticles, int HeldOutArticles, long TrainTokens, long HeldOutTokens,
    int Steps, long TokensSeen, double Epochs, double FinalTrainLoss, double HeldOutLoss, double HeldOutPerplexity,
    double WallSeconds, List<PretrainingProgress> Evaluations)
{
    /// <summary>The finished model on every held-out document of the first corpus (null for a paused run).</summary>
    public HeldOutScore? HeldOutText { get; init; }
}

/// <summary>
/// Trains every weight of a decoder (GPT-2 or Llama architecture) on a text corpus with the causal-LM objective:
/// AdamW (decay on matrices only), warmup + cosine, gradient clipping, periodic held-out loss, and a
/// checkpoint (model, optimizer, step) that a later run resumes from exactly.
/// </summary>
public sealed class Pretrainer
{
    const string CheckpointFolder = "checkpoint";
    const string StateFile = "state.json";
    const string OptimizerFile = "optimizer.bin";
    public const string ResultFile = "pretraining.json";

    readonly PretrainingOptions _options;
    readonly string _output;

    public Pretrainer(PretrainingOptions options, string output)
    {
        // Resolved here so that pretraining.json says what ran, not "auto".
        _options = options.Validated() with { Precision = options.Precision.Resolve() };
        _output = output;
    }

    /// <param name="corpora">Reuters-21578 folders and plain-text files or folders (<see cref="TextCorpus"/>);
    /// every n-th document of each is held out. The held-out loss during training is measured on the
    /// first one's leading windows, and the finished model's bits per byte on all its held-out documents.</param>
    /// <param name="startFrom">A model to continue from (fresh optimizer), or null for random weights.</param>
    /// <param name="pauseAfter">Stop after this step's checkpoint (the schedule still spans all the
    /// steps), writing the model so far; running again goes on from there. Null runs to the end.</param>
    public PretrainingResult Run(IReadOnlyList<string> corpora, string? startFrom, IProgress<PretrainingProgress>? progress, CancellationToken cancel = default,
        int? pauseAfter = null)
    {
        if (pauseAfter is <= 0) throw new ArgumentOutOfRangeException(nameof(pauseAfter), pauseAfter, "the step to pause after must be positive");
        int end = Math.Min(_options.Steps, pauseAfter ?? int.MaxValue);
        TorchNative.EnsureLoaded();
        var tokenizer = _options.Tokenizer is { } folder ? TextTokenizer.ForFolder(folder) : TextTokenizer.Gpt2();
        if (corpora.Count == 0) throw new ArgumentException("no corpus to pretrain on");
        var splits = corpora.Select(c => ReutersCorpus.Split(PretrainingCorpus.Read(c), _options.HeldOutEvery)).ToList();
        var trainArticles = splits.SelectMany(s => s.Train).ToList();
        var heldOutArticles = splits.SelectMany(s => s.HeldOut).ToList();
        var trainTokens = Tokenize(trainArticles, tokenizer);
        var heldOutTokens = Tokenize(heldOutArticles, tokenizer);
        var train = new TokenWindows(trainTokens, _options.SequenceLength, _options.Seed);
        var heldOut = new TokenWindows(heldOutTokens, _options.SequenceLength, _options.Seed).Leading(_options.EvaluationWindows);

        var checkpoint = Path.Combine(_output, CheckpointFolder);
        // A crash between the two renames of SaveCheckpoint leaves only the previous checkpoint.
        if (!Directory.Exists(checkpoint) && Directory.Exists(checkpoint + ".old")) Directory.Move(checkpoint + ".old", checkpoint);
        var resuming = Directory.Exists(checkpoint);
        // fp32 master weights whatever the compute type: AdamW's small updates vanish in bf16's 8 bits.
        using var model = resuming ? LanguageModel.Load(Path.Combine(checkpoint, "model"), Precision.Fp32)
            : startFrom is not null ? LanguageModel.Load(startFrom, Precision.Fp32)
            : LanguageModel.Create(_options.ModelConfig(tokenizer.VocabularySize), tokenizer, _options.Seed, Precision.Fp32);
        var gpt = model.Network;
        gpt.ComputeType = _options.Precision.ScalarType();
        foreach (var p in gpt.parameters()) p.requires_grad = true;
        gpt.Dropout = _options.Dropout;
        gpt.train();

        var matrices = gpt.named_parameters().Where(p => p.parameter.dim() >= 2).Select(p => p.parameter).ToList();
        var vectors = gpt.named_parameters().Where(p => p.parameter.dim() < 2).Select(p => p.parameter).ToList();
        var optimizer = optim.AdamW(
            [new AdamW.ParamGroup(matrices, new AdamW.Options { weight_decay = _options.WeightDecay }),
             new AdamW.ParamGroup(vectors, new AdamW.Options { weight_decay = 0 })],
            lr: _options.LearningRate, beta1: _options.Beta1, beta2: _options.Beta2);
        var state = resuming ? LoadState(checkpoint, optimizer) : new RunState(0, 0, 0, []);
        var schedule = new WarmupCosineSchedule(_options.LearningRate, _options.WarmupSteps, _options.Steps, _options.MinLearningRate);

        var clock = Stopwatch.StartNew();
        long tokensAtStart = state.Tokens;
        double loss = double.NaN;
        for (int step = state.Step; step < end; step++)
        {
            cancel.ThrowIfCancellationRequested();
            double lr = schedule.At(step);
            foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
            // Dropout draws from the global generator: seeding it per step makes a run, and a run
            // resumed from any checkpoint, draw the same masks, provided nothing else in the process
            // draws from it meanwhile (the CLI runs the pretrainer alone).
            torch.manual_seed(unchecked(_options.Seed * 1_000_003 + step));
            loss = TrainStep(gpt, optimizer, train.Batch((long)step * _options.BatchSize, _options.BatchSize), _options.GradientClip);
            state = state with { Step = step + 1, Tokens = state.Tokens + (long)_options.BatchSize * _options.SequenceLength };
            double? heldOutLoss = null;
            bool last = step + 1 == end;
            if ((step + 1) % _options.EvaluateEvery == 0 || last)
            {
                heldOutLoss = Evaluate(gpt, heldOut);
                state.Evaluations.Add(new PretrainingProgress(step + 1, _options.Steps, state.Tokens, Rate(), loss, lr, heldOutLoss));
            }
            if ((step + 1) % _options.CheckpointEvery == 0 || last)
            {
                state = state with { WallSeconds = state.WallSeconds + clock.Elapsed.TotalSeconds, FinalLoss = loss };
                clock.Restart();
                tokensAtStart = state.Tokens;
                SaveCheckpoint(checkpoint, model, optimizer, state);
            }
            progress?.Report(new PretrainingProgress(step + 1, _options.Steps, state.Tokens, Rate(), loss, lr, heldOutLoss));
        }

        double Rate() => (state.Tokens - tokensAtStart) / Math.Max(1e-9, clock.Elapsed.TotalSeconds);

        gpt.eval();
        gpt.Dropout = 0;
        model.Save(_output);
        double finalHeldOut = state.Evaluations.Count > 0 ? state.Evaluations[^1].HeldOutLoss!.Value : Evaluate(gpt, heldOut);
        var result = new PretrainingResult(_options, trainArticles.Count, heldOutArticles.Count, trainTokens.Length, heldOutTokens.Length,
            state.Step, state.Tokens, (double)state.Tokens / trainTokens.Length, state.FinalLoss, finalHeldOut, Math.Exp(finalHeldOut),
            state.WallSeconds, state.Evaluations)
        {
            HeldOutText = state.Step == _options.Steps ? Pretraining.HeldOutText.Measure(model, splits[0].HeldOut) : null,
        };
        AtomicFile.WriteAllText(Path.Combine(_output, ResultFile), JsonSerializer.Serialize(result, JsonOptions));
        return result;
    }

    /// <summary>Mean next-token cross-entropy over windows [batch, length+1].</summary>
    /// <summary>One optimizer step on a batch of windows; returns its loss. The memory the step freed
    /// goes back to the system (<see cref="FreedMemory"/>), or a long run grows without bound.</summary>
    public static float TrainStep(Decoder gpt, optim.Optimizer optimizer, Tensor windows, double gradientClip)
    {
        float loss;
        using (var scope = NewDisposeScope())
        {
            optimizer.zero_grad();
            var lossTensor = CausalLmLoss(gpt, windows);
            lossTensor.backward();
            nn.utils.clip_grad_norm_(gpt.parameters(), gradientClip);
            optimizer.step();
            loss = lossTensor.item<float>();
        }
        FreedMemory.Release();
        return loss;
    }

    public static Tensor CausalLmLoss(Decoder gpt, Tensor windows)
    {
        var inputs = windows[.., ..^1];
        var targets = windows[.., 1..];
        return gpt.NextTokenLoss(gpt.ForwardTokens(inputs).flatten(0, 1), targets.reshape(-1));
    }

    static double Evaluate(Decoder gpt, Tensor windows)
    {
        bool wasTraining = gpt.training;
        gpt.eval();
        using var noGrad = no_grad();
        double total = 0;
        int batches = 0;
        for (long start = 0; start < windows.shape[0]; start += 16)
        {
            using var scope = NewDisposeScope();
            total += CausalLmLoss(gpt, windows[TensorIndex.Slice(start, Math.Min(start + 16, windows.shape[0]))]).item<float>();
            batches++;
        }
        if (wasTraining) gpt.train();
        return total / batches;
    }

    /// <summary>Articles as one token stream, each ended by the end-of-text token as in GPT-2's
    /// pretraining, and begun by the beginning-of-text token where the tokenizer puts one first, so
    /// the model learns what follows it: every prompt it is later tuned on starts with it.</summary>
    public static int[] Tokenize(IEnumerable<Article> articles, TextTokenizer tokenizer)
    {
        var tokens = new List<int>();
        int? bos = tokenizer.AddsBeginningOfText ? tokenizer.BeginningOfTextId : null;
        foreach (var article in articles)
        {
            if (bos is int beginning) tokens.Add(beginning);
            tokens.AddRange(tokenizer.Encode(article.Text));
            tokens.Add(tokenizer.EndOfTextId);
        }
        return tokens.ToArray();
    }

    sealed record RunState(int Step, long Tokens, double WallSeconds, List<PretrainingProgress> Evaluations)
    {
        public double FinalLoss { get; init; } = double.NaN;
    }

    static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>The checkpoint is written beside the old one and swapped in, so a crash leaves one whole checkpoint.</summary>
    static void SaveCheckpoint(string checkpoint, LanguageModel model, AdamW optimizer, RunState state)
    {
        var fresh = checkpoint + ".new";
        var old = checkpoint + ".old";
        if (Directory.Exists(fresh)) Directory.Delete(fresh, recursive: true);
        model.Save(Path.Combine(fresh, "model"));
        AtomicFile.Write(Path.Combine(fresh, OptimizerFile), stream =>
        {
            using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            optimizer.save_state_dict(writer);
        });
        AtomicFile.WriteAllText(Path.Combine(fresh, StateFile), JsonSerializer.Serialize(state, JsonOptions));
        if (Directory.Exists(checkpoint)) Directory.Move(checkpoint, old);
        Directory.Move(fresh, checkpoint);
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
    }

    static RunState LoadState(string checkpoint, AdamW optimizer)
    {
        using (var reader = new BinaryReader(File.OpenRead(Path.Combine(checkpoint, OptimizerFile))))
            optimizer.load_state_dict(reader);
        var path = Path.Combine(checkpoint, StateFile);
        return JsonSerializer.Deserialize<RunState>(File.ReadAllText(path), JsonOptions)
            ?? throw new InvalidDataException($"{path}: empty run state");
    }
}
