using Microsoft.ML.Tokenizers;

namespace FedPrompt.Model.Tokenization;

/// <summary>Text to ids and back in one tokenizer format; <see cref="TextTokenizer"/> adds what
/// every format shares (special ids, vocabulary size, the files to save).</summary>
interface ITokenCodec
{
    IReadOnlyList<int> Encode(string text);

    string Decode(IEnumerable<int> ids);
}

/// <summary>A tokenizer file read: its codec, one more than the highest id it can produce, and what
/// the format says of its special tokens.</summary>
sealed record TokenizerFile(ITokenCodec Codec, int VocabularySize, FormatSpecialTokens Format);

/// <summary>A format Microsoft.ML.Tokenizers covers whole: the packaged GPT-2 BPE.</summary>
sealed class LibraryCodec(Tokenizer tokenizer) : ITokenCodec
{
    public IReadOnlyList<int> Encode(string text) => tokenizer.EncodeToIds(text);

    public string Decode(IEnumerable<int> ids) => tokenizer.Decode(ids) ?? "";
}
