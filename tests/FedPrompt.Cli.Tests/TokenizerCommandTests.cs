using FedPrompt.Model;
using FedPrompt.Model.Pretraining;
using FedPrompt.Testing;

namespace FedPrompt.Cli.Tests;

/// <summary>fedprompt tokenizer train: the folder it writes is one the engine loads as a model's tokenizer.</summary>
public class TokenizerCommandTests
{
    static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    static string Corpus => RepositoryFiles.Fixtures("tokenizers", "trainer", "corpus.txt");


    [Fact]
    public void TrainWritesATokenizerTheEngineLoadsAndReportsIt()
    {
        using var folder = new TemporaryDirectory();
        var reuters = Directory.CreateDirectory(folder.File("reuters")).FullName;
        File.Copy(Path.Combine(RepositoryFiles.Root, "data", "reuters21578", "reut2-021.sgm.gz"), Path.Combine(reuters, "reut2-021.sgm.gz"));
        var output = FedPromptProcess.Ok(FedPromptProcess.Run(Timeout, "tokenizer", "train", "--corpus", reuters, "--corpus", Corpus, "--vocab", "600",
            "--out", folder.File("tokenizer"), "--compare-gpt2"));

        int documents = ReutersCorpus.Read(reuters).Count + TextCorpus.Read(Corpus).Count;
        Assert.Contains($"read {documents:N0} documents", output);
        Assert.Contains("vocabulary 600 tokens: 256 bytes + 342 learned", output);
        Assert.Contains("<|begin_of_text|> 598 and <|end_of_text|> 599", output);
        Assert.Matches(@"this tokenizer: \d+\.\d{3} bytes per token on the corpus", output);
        Assert.Matches(@"GPT-2 BPE: \d+\.\d{3} bytes per token on the corpus", output);

        var tokenizer = TextTokenizer.ForFolder(folder.File("tokenizer"));
        Assert.Equal(600, tokenizer.VocabularySize);
        Assert.Equal(598, tokenizer.BeginningOfTextId);
        Assert.Equal(599, tokenizer.EndOfTextId);
        Assert.True(tokenizer.AddsBeginningOfText);
        const string text = "Sandoz AG said it planned a joint venture in Zürich 🚀";
        Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
    }

    [Fact]
    public void AnOutThatHasATokenizerIsRefusedUnlessOverwrite()
    {
        using var folder = new TemporaryDirectory();
        var output = folder.File("tokenizer");
        FedPromptProcess.Ok(FedPromptProcess.Run(Timeout, "tokenizer", "train", "--corpus", Corpus, "--vocab", "300", "--out", output));
        var first = File.ReadAllBytes(Path.Combine(output, "tokenizer.json"));

        var (exit, _, error) = FedPromptProcess.Run(Timeout, "tokenizer", "train", "--corpus", Corpus, "--vocab", "400", "--out", output);
        Assert.Equal(1, exit);
        Assert.Contains($"--out {output} already has a tokenizer.json; give --overwrite", error);
        Assert.Equal(first, File.ReadAllBytes(Path.Combine(output, "tokenizer.json")));

        FedPromptProcess.Ok(FedPromptProcess.Run(Timeout, "tokenizer", "train", "--corpus", Corpus, "--vocab", "400", "--out", output, "--overwrite"));
        Assert.Equal(400, TextTokenizer.ForFolder(output).VocabularySize);
    }

    [Fact]
    public void ACorpusThatIsNeitherTextNorReutersIsRefusedNamingIt()
    {
        using var folder = new TemporaryDirectory();
        var notText = folder.Write("corpus.csv", "a,b\n");
        var (exit, _, error) = FedPromptProcess.Run(Timeout, "tokenizer", "train", "--corpus", notText, "--vocab", "300", "--out", folder.File("out"));
        Assert.Equal(1, exit);
        Assert.Contains($"{notText}: neither a Reuters-21578 folder", error);

        (exit, _, error) = FedPromptProcess.Run(Timeout, "tokenizer", "train", "--corpus", folder.Path, "--vocab", "300", "--out", folder.File("out"));
        Assert.Equal(1, exit);
        Assert.Contains($"{folder.Path}: neither a Reuters-21578 folder", error);

        (exit, _, error) = FedPromptProcess.Run(Timeout, "tokenizer", "train", "--corpus", Corpus, "--vocab", "257", "--out", folder.File("out"));
        Assert.Equal(1, exit);
        Assert.Contains("--vocab", error);
        Assert.False(Directory.Exists(folder.File("out")));
    }
}
