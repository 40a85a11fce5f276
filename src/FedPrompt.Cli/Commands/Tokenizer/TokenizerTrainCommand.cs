using FedPrompt.Model.Pretraining;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using FedPrompt.Cli.Commands.Bench;
using FedPrompt.Model;
using FedPrompt.Model.Tokenization;
using Spectre.Console;
using Spectre.Console.Cli;

namespace FedPrompt.Cli.Commands.Tokenizer;

/// <summary>Trains a byte-level BPE tokenizer on a corpus and writes it as a Hugging Face tokenizer.json
/// in Llama 3's layout, then measures it on the same text through the files it wrote.</summary>
public sealed class TokenizerTrainCommand : Command<TokenizerTrainCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--corpus <PATH>", isRequired: true)]
        [Description("Training text, repeatable: a Reuters-21578 folder (reut2-*.sgm or .sgm.gz; each article's title and body), " +
            "or UTF-8 text: a .txt or .txt.gz file or a folder of them, as pretrain reads them")]
        public string[] Corpus { get; init; } = [];

        [CommandOption("--vocab <N>", isRequired: true)]
        [Description("Vocabulary size in tokens: 256 byte tokens + the learned tokens + <|begin_of_text|> and <|end_of_text|>, so at least 258")]
        [Range(BpeTrainer.SmallestVocabulary, int.MaxValue)]
        public int Vocab { get; init; }

        [CommandOption("--out <DIR>", isRequired: true)]
        [Description("Folder for tokenizer.json and tokenizer_config.json; created if missing, refused if it already has a tokenizer.json unless --overwrite")]
        public string Out { get; init; } = "";

        [CommandOption("--min-count <N>")]
        [Description("Leave out pre-tokenized pieces (words, numbers, punctuation runs) seen fewer than N times, to bound memory (default 2; 1 keeps every piece)")]
        [Range(1, int.MaxValue)]
        public int MinCount { get; init; } = BpeTrainer.DefaultMinimumCount;

        [CommandOption("--held-out-every <N>")]
        [Description("Leave out every N-th document of each corpus, the ones pretrain holds out to measure the model, so the tokenizer never sees them either (default 0: train on every document)")]
        [Range(0, int.MaxValue)]
        public int HeldOutEvery { get; init; }

        [CommandOption("--overwrite")]
        [Description("Replace the tokenizer files in an --out that has a tokenizer.json (default: refuse it)")]
        public bool Overwrite { get; init; }

        [CommandOption("--compare-gpt2")]
        [Description("Also encode the corpus with GPT-2's BPE and print its bytes per token (default: off)")]
        public bool CompareGpt2 { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (File.Exists(settings.Out)) throw new IOException($"--out {settings.Out} is a file, not a folder");
        var existing = TrainedBpe.TokenizerJsonPath(settings.Out);
        if (File.Exists(existing) && !settings.Overwrite)
            throw new IOException($"--out {settings.Out} already has a {Path.GetFileName(existing)}; give --overwrite to replace it, or another folder");
        if (settings.HeldOutEvery == 1) throw new ArgumentException("--held-out-every 1 would leave nothing to train on (0 keeps every document)");
        var corpora = settings.Corpus.Select(path => PretrainingCorpus.Read(path))
            .Select(all => settings.HeldOutEvery == 0 ? all : ReutersCorpus.Split(all, settings.HeldOutEvery).Train)
            .Select(kept => kept.Select(document => document.Text)).ToList();
        var documents = corpora.SelectMany(documents => documents);

        var clock = Stopwatch.StartNew();
        var pieces = PieceCounts.Count(documents);
        if (pieces.Bytes == 0) throw new InvalidDataException($"--corpus {string.Join(", ", settings.Corpus)}: no text to train on");
        Console.Out.WriteLine($"read {pieces.Documents:N0} documents, {pieces.Bytes:N0} bytes (UTF-8) in {clock.Elapsed.TotalSeconds:F1} s: " +
            $"{pieces.Distinct:N0} distinct pieces, {pieces.DistinctAtLeast(settings.MinCount):N0} of them seen {(settings.MinCount == 1 ? "once or more" : $"{settings.MinCount} times or more")}");

        TrainedBpe trained = null!;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(progress =>
            {
                var task = progress.AddTask("learning merges", maxValue: Math.Max(1, settings.Vocab - BpeTrainer.SmallestVocabulary));
                trained = BpeTrainer.Train(pieces, settings.Vocab, settings.MinCount, new SynchronousProgress<int>(learned => task.Value = learned));
                task.Value = task.MaxValue;
            });
        trained.Save(settings.Out);
        var trainingSeconds = clock.Elapsed.TotalSeconds;
        Console.Out.WriteLine($"vocabulary {trained.VocabularySize:N0} tokens: {BpeTrainer.ByteTokens} bytes + {trained.Tokens.Count - BpeTrainer.ByteTokens:N0} learned " +
            $"({trained.Merges.Count:N0} merges) + {BpeTrainer.BeginningOfText} {trained.BeginningOfTextId} and {BpeTrainer.EndOfText} {trained.EndOfTextId}, " +
            $"in {trainingSeconds:F1} s, peak memory {PeakMemory.Mebibytes():N0} MiB → {settings.Out}");
        if (trained.RanOutOfPairs)
            Console.Out.WriteLine($"the corpus ran out of pairs to merge: {trained.VocabularySize:N0} tokens, not the {settings.Vocab:N0} asked for");

        // Read back as a model will read it, so the figure is the written tokenizer's, not the trainer's.
        ReportCompression("this tokenizer", TextTokenizer.ForFolder(settings.Out), documents, pieces.Bytes);
        if (settings.CompareGpt2) ReportCompression("GPT-2 BPE", TextTokenizer.Gpt2(), documents, pieces.Bytes);
        return 0;
    }

    static void ReportCompression(string name, TextTokenizer tokenizer, IEnumerable<string> documents, long bytes)
    {
        var clock = Stopwatch.StartNew();
        long tokens = documents.Sum(document => (long)tokenizer.Encode(document).Count);
        Console.Out.WriteLine($"{name}: {(double)bytes / tokens:F3} bytes per token on the corpus ({tokens:N0} tokens, {tokenizer.VocabularySize:N0} in its vocabulary; encoded in {clock.Elapsed.TotalSeconds:F1} s)");
    }
}
