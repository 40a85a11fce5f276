using FedPrompt.Formats.Settings;
using FedPrompt.Model.Pretraining;
using FedPrompt.Testing;

namespace FedPrompt.Model.Tests.Pretraining;

[Collection(nameof(GlobalGeneratorCollection))]
public class PretrainerTests
{
    /// <summary>A small corpus: the sample articles repeated under different ids, 1 in 4 held out.</summary>
    static string[] Corpus(TemporaryDirectory folder)
    {
        var corpus = Path.Combine(folder.Path, "corpus");
        Directory.CreateDirectory(corpus);
        var articles = string.Concat(Enumerable.Range(1, 40).Select(i => ReutersCorpusTests.Sgml.Replace("NEWID=\"1\"", $"NEWID=\"{100 + i}\"")));
        File.WriteAllText(Path.Combine(corpus, "reut2-000.sgm"), articles, System.Text.Encoding.Latin1);
        return [corpus];
    }

    /// <param name="architecture">gpt2 (GPT-2's BPE) or llama (grouped-query attention, with the
    /// Llama 3-format tokenizer fixture, which puts a beginning-of-text token first).</param>
    static PretrainingOptions Options(int steps, Precision precision = Precision.Auto, string architecture = "gpt2") => new()
    {
        Precision = precision,
        Architecture = architecture,
        KvHeads = architecture == "llama" ? 2 : null,
        Tokenizer = architecture == "llama" ? RepositoryFiles.Fixtures("tokenizers", "llama3") : null,
        Layers = 2, Embedding = 32, Heads = 4, Positions = 32, SequenceLength = 16, BatchSize = 4, Steps = steps,
        WarmupSteps = 2, LearningRate = 3e-3, EvaluateEvery = 4, EvaluationWindows = 4, CheckpointEvery = 4, HeldOutEvery = 4, Dropout = 0.1,
    };

    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    public void PretrainingLowersTheHeldOutLossAndWritesAModelTheEngineLoads(string architecture)
    {
        using var folder = new TemporaryDirectory();
        var output = Path.Combine(folder.Path, "model");
        var result = new Pretrainer(Options(12, architecture: architecture), output).Run(Corpus(folder), null, null);

        Assert.Equal(12, result.Steps);
        Assert.Equal(12L * 4 * 16, result.TokensSeen);
        Assert.True(result.Evaluations[^1].HeldOutLoss < result.Evaluations[0].HeldOutLoss,
            $"held-out loss {result.Evaluations[0].HeldOutLoss:F3} → {result.Evaluations[^1].HeldOutLoss:F3}");
        using var model = LanguageModel.Load(output);
        Assert.Equal(2, model.Config.Layers);
        Assert.Equal(architecture == "llama", model.Config is LlamaConfig);
        Assert.True(File.Exists(Path.Combine(output, Pretrainer.ResultFile)));
        if (architecture == "llama")
        {
            // The model keeps the tokenizer it was trained with, its embedding a multiple of 64 rows.
            Assert.True(File.Exists(Path.Combine(output, "tokenizer.json")));
            Assert.Equal(0, model.Config.VocabSize % 64);
            Assert.InRange(model.Config.VocabSize - model.Tokenizer.VocabularySize, 0, 63);
        }
    }

    /// <summary>Each article starts with the beginning-of-text token where the tokenizer puts one
    /// first, since every prompt the model is tuned on will, and ends with the end-of-text token.</summary>
    [Fact]
    public void ArticlesAreFramedByTheTokenizersBeginningAndEndOfText()
    {
        var tokenizer = TextTokenizer.ForFolder(RepositoryFiles.Fixtures("tokenizers", "llama3"));
        var articles = new[] { new Article(1, "A", "b c"), new Article(2, "D", "") };
        var tokens = Pretrainer.Tokenize(articles, tokenizer);
        int bos = tokenizer.BeginningOfTextId!.Value, eos = tokenizer.EndOfTextId;
        Assert.Equal([bos, .. tokenizer.Encode("A\nb c"), eos, bos, .. tokenizer.Encode("D"), eos], tokens);
        Assert.Equal([.. TextTokenizer.Gpt2().Encode("D"), 50256], Pretrainer.Tokenize([articles[1]], TextTokenizer.Gpt2()));
    }

    [Fact]
    public void Bf16PretrainingKeepsFp32MasterWeightsAndRecordsItsPrecision()
    {
        using var folder = new TemporaryDirectory();
        var output = Path.Combine(folder.Path, "model");
        var result = new Pretrainer(Options(12, Precision.Bf16), output).Run(Corpus(folder), null, null);

        Assert.Equal(Precision.Bf16, result.Options.Precision);
        Assert.Contains("\"Precision\": \"bf16\"", File.ReadAllText(Path.Combine(output, Pretrainer.ResultFile)));
        Assert.True(result.Evaluations[^1].HeldOutLoss < result.Evaluations[0].HeldOutLoss, "held-out loss did not fall");
        // AdamW's small steps accumulate in fp32: the saved weights are not bf16-rounded.
        using var model = LanguageModel.Load(output, Precision.Fp32);
        var embedding = model.Network.TokenEmbedding;
        Assert.False(embedding.equal(embedding.to_type(TorchSharp.torch.ScalarType.BFloat16).to_type(TorchSharp.torch.ScalarType.Float32)).all().item<bool>());
    }

    [Fact]
    public void PretrainingIsDeterministic()
    {
        using var folder = new TemporaryDirectory();
        var corpus = Corpus(folder);
        new Pretrainer(Options(10), Path.Combine(folder.Path, "a")).Run(corpus, null, null);
        new Pretrainer(Options(10), Path.Combine(folder.Path, "b")).Run(corpus, null, null);
        SameModel(Path.Combine(folder.Path, "a"), Path.Combine(folder.Path, "b"));
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    public void AnInterruptedRunResumesToTheSameModelAsAnUninterruptedOne(string architecture)
    {
        using var folder = new TemporaryDirectory();
        var corpus = Corpus(folder);
        var straight = Path.Combine(folder.Path, "straight");
        new Pretrainer(Options(10, architecture: architecture), straight).Run(corpus, null, null);

        var interrupted = Path.Combine(folder.Path, "interrupted");
        using var stop = new CancellationTokenSource();
        var progress = new Progress(p =>
        {
            if (p.Step == 5) stop.Cancel();
        });
        Assert.ThrowsAny<OperationCanceledException>(() => new Pretrainer(Options(10, architecture: architecture), interrupted).Run(corpus, null, progress, stop.Token));
        Assert.True(Directory.Exists(Path.Combine(interrupted, "checkpoint")));
        new Pretrainer(Options(10, architecture: architecture), interrupted).Run(corpus, null, null);

        SameModel(straight, interrupted);
    }

    [Fact]
    public void ARunPausedAfterAStepGoesOnToTheSameModelAsAStraightOne()
    {
        using var folder = new TemporaryDirectory();
        var corpus = Corpus(folder);
        var straight = Path.Combine(folder.Path, "straight");
        new Pretrainer(Options(10), straight).Run(corpus, null, null);

        var paused = Path.Combine(folder.Path, "paused");
        var first = new Pretrainer(Options(10), paused).Run(corpus, null, null, pauseAfter: 6);
        Assert.Equal(6, first.Steps);
        Assert.Equal(6L * 4 * 16, first.TokensSeen);
        using (var sofar = LanguageModel.Load(paused)) Assert.Equal(2, sofar.Config.Layers);
        var second = new Pretrainer(Options(10), paused).Run(corpus, null, null);
        Assert.Equal(10, second.Steps);

        SameModel(straight, paused);
    }

    /// <summary>The two saved models give bit-identical log-probabilities.</summary>
    static void SameModel(string first, string second)
    {
        using var a = LanguageModel.Load(first);
        using var b = LanguageModel.Load(second);
        var tokens = a.Tokenizer.Encode("BAHIA COCOA REVIEW Showers continued");
        Assert.Equal(a.LogProbabilities(tokens), b.LogProbabilities(tokens));
    }

    sealed class Progress(Action<PretrainingProgress> report) : IProgress<PretrainingProgress>
    {
        public void Report(PretrainingProgress value) => report(value);
    }
}
