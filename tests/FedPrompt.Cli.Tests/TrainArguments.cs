using FedPrompt.Testing;

namespace FedPrompt.Cli.Tests;

/// <summary>The train command on the first lines of the committed train and validation splits, on the
/// fixture GPT-2 (deep prompts, batches of 4: of 50 training lines 35 fit the fixture's 64 positions,
/// 8 steps an epoch), into <c>run</c> in the given folder.</summary>
static class TrainArguments
{
    public static IEnumerable<string> Lines => File.ReadLines(RepositoryFiles.Fixture("financial_phrase_bank_train.jsonl")).Take(50);

    public static string Run(TemporaryDirectory folder) => Path.Combine(folder.Path, "run");

    public static string[] For(TemporaryDirectory folder, IEnumerable<string> trainLines, params string[] more)
    {
        var train = Path.Combine(folder.Path, "train.jsonl");
        var validation = Path.Combine(folder.Path, "val.jsonl");
        File.WriteAllLines(train, trainLines);
        File.WriteAllLines(validation, File.ReadLines(RepositoryFiles.Fixture("financial_phrase_bank_val.jsonl")).Take(20));
        return ["train", "--model", RepositoryFiles.Engine("tiny-gpt2"), "--train", train, "--validation", validation,
            "--encoder-type", "deep", "--global-batch", "4", "--micro-batch", "4", "--out", Run(folder), .. more];
    }
}
