using FedPrompt.Formats;

namespace FedPrompt.Model.Tokenization;

/// <summary>
/// What <see cref="BpeTrainer"/> learned: the tokens in id order (the 256 bytes, then the merged
/// tokens in the order they were learned, spelled in GPT-2's byte alphabet) and the merges in rank
/// order. &lt;|begin_of_text|&gt; and &lt;|end_of_text|&gt; take the two ids after the last token.
/// </summary>
public sealed class TrainedBpe
{
    internal TrainedBpe(IReadOnlyList<string> tokens, IReadOnlyList<(string Left, string Right)> merges, int requestedVocabularySize)
    {
        Tokens = tokens;
        Merges = merges;
        RequestedVocabularySize = requestedVocabularySize;
    }

    public IReadOnlyList<string> Tokens { get; }

    public IReadOnlyList<(string Left, string Right)> Merges { get; }

    /// <summary>Every id, special tokens included; below <see cref="RequestedVocabularySize"/> when the corpus ran out of pairs.</summary>
    public int VocabularySize => Tokens.Count + BpeTrainer.SpecialTokens;

    public int RequestedVocabularySize { get; }

    public bool RanOutOfPairs => VocabularySize < RequestedVocabularySize;

    public int BeginningOfTextId => Tokens.Count;

    public int EndOfTextId => Tokens.Count + 1;

    /// <summary>
    /// tokenizer.json and tokenizer_config.json into the folder (made if missing), each written
    /// atomically; tokenizer.json last, since it is what makes a folder a tokenizer's, so a folder
    /// that has it has its config too.
    /// </summary>
    public void Save(string folder)
    {
        AtomicFile.WriteAllBytes(Path.Combine(folder, SpecialTokenConfig.TokenizerConfig), TrainedTokenizerJson.Config());
        AtomicFile.WriteAllBytes(TokenizerJsonPath(folder), TrainedTokenizerJson.Tokenizer(this));
    }

    /// <summary>Where <see cref="Save"/> puts tokenizer.json, the file whose presence makes a folder a tokenizer's.</summary>
    public static string TokenizerJsonPath(string folder) => Path.Combine(folder, TokenizerJson.FileName);
}
