using System.Text;

namespace FedPrompt.Model.Tokenization;

/// <summary>
/// GPT-2's own files, vocab.json (token → id) and merges.txt (one "a b" merge a line after a
/// "#version" header): the tokenizer.json of GPT-2 written out, pre-tokenized by ByteLevel's regex
/// without a prefix space, &lt;|endoftext|&gt; found in text as a whole token.
/// </summary>
static class Gpt2Files
{
    public static TokenizerFile Read(byte[] vocabJson, byte[] mergesText, string vocabOrigin, string mergesOrigin)
    {
        var vocabulary = TokenizerJson.Vocabulary(JsonFields.ParseObject(vocabJson, vocabOrigin), vocabOrigin);
        var lines = Encoding.UTF8.GetString(mergesText).Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var merges = new List<(string, string)>();
        for (int i = 0; i < lines.Count; i++)
        {
            if (lines[i].Length == 0 || lines[i].StartsWith("#version", StringComparison.Ordinal)) continue;
            merges.Add(TokenizerJson.MergeLine(lines[i], i + 1, mergesOrigin));
        }
        var checkedMerges = TokenizerJson.CheckedMerges(merges, vocabulary, mergesOrigin);
        int? endOfText = vocabulary.TryGetValue(TextTokenizer.EndOfText, out int eos) ? eos : null;
        var added = new AddedTokens(endOfText is int id ? [new AddedToken(id, TextTokenizer.EndOfText, Normalized: false)] : []);
        var codec = TokenizerJson.Build(mergesOrigin, () => new ByteLevelBpe(vocabulary, checkedMerges, added, text => text,
            [new IsolatedSplit(PreTokenizerStep.ByteLevelPattern())], ignoreMerges: false, unknownToken: null));
        var format = new FormatSpecialTokens(codec.IdOf, endOfText, BeginningId: null, AddsBeginning: false);
        return new TokenizerFile(codec, vocabulary.Values.Max() + 1, format);
    }
}
