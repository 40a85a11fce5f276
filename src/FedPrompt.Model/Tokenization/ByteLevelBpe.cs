using System.Text;
using Microsoft.ML.Tokenizers;

namespace FedPrompt.Model.Tokenization;

/// <summary>
/// Byte-level BPE run the way Hugging Face tokenizers runs a tokenizer.json: added tokens first,
/// then the normalizer, the pre-tokenizer stages, and BPE merges within each piece. Microsoft.ML's
/// BpeTokenizer does the byte mapping, the merges and the decoding of model tokens; the stages
/// around it are here because it has no ignore_merges, applies one pre-tokenizer to the whole
/// text (ByteLevel's add_prefix_space is per piece), and decodes its special tokens through the
/// byte alphabet (an added token with a space or a non-ASCII character comes back garbled).
/// </summary>
sealed class ByteLevelBpe : ITokenCodec
{
    readonly BpeTokenizer _model;
    readonly IReadOnlyDictionary<string, int> _vocabulary;
    readonly AddedTokens _added;
    readonly Func<string, string> _normalize;
    readonly IReadOnlyList<PreTokenizerStep> _steps;
    readonly bool _ignoreMerges;

    /// <param name="vocabulary">Tokens spelled in the <see cref="ByteLevelAlphabet"/> → id.</param>
    /// <param name="merges">Merge rules in rank order; every part and every result is in the vocabulary.</param>
    /// <param name="ignoreMerges">A piece that is itself a vocabulary token is that token, whatever the merges would make of it.</param>
    public ByteLevelBpe(IReadOnlyDictionary<string, int> vocabulary, IReadOnlyList<(string Left, string Right)> merges, AddedTokens added,
        Func<string, string> normalize, IReadOnlyList<PreTokenizerStep> steps, bool ignoreMerges, string? unknownToken)
    {
        _model = BpeTokenizer.Create(new BpeOptions(vocabulary)
        {
            Merges = merges.Select(m => $"{m.Left} {m.Right}"),
            ByteLevel = true,
            UnknownToken = unknownToken,
        });
        _vocabulary = vocabulary;
        _added = added;
        _normalize = normalize;
        _steps = steps;
        _ignoreMerges = ignoreMerges;
    }

    /// <summary>The id of a token given as text (an added token's content, or a vocabulary entry's text).</summary>
    public int? IdOf(string token) =>
        _added.IdByContent.TryGetValue(token, out int id) || _vocabulary.TryGetValue(ByteLevelAlphabet.Spell(token), out id) ? id : null;

    public IReadOnlyList<int> Encode(string text)
    {
        var ids = new List<int>();
        foreach (var (addedId, stretch) in _added.Split(text, _normalize))
        {
            if (addedId is int id) ids.Add(id);
            else foreach (var piece in PreTokenize(stretch)) EncodePiece(piece, ids);
        }
        return ids;
    }

    IEnumerable<string> PreTokenize(string stretch)
    {
        IEnumerable<string> pieces = [stretch];
        foreach (var step in _steps) pieces = pieces.SelectMany(step.Split);
        return pieces;
    }

    void EncodePiece(string piece, List<int> ids)
    {
        if (_ignoreMerges && _vocabulary.TryGetValue(ByteLevelAlphabet.Spell(piece), out int whole)) ids.Add(whole);
        else ids.AddRange(_model.EncodeToIds(piece, considerPreTokenization: false, considerNormalization: false));
    }

    /// <summary>Model tokens back through the byte alphabet, added tokens as written; as tokenizers
    /// does, the model tokens on either side of an added token are decoded apart.</summary>
    public string Decode(IEnumerable<int> ids)
    {
        var text = new StringBuilder();
        var run = new List<int>();
        foreach (int id in ids)
        {
            if (_added.ContentOf(id) is { } content)
            {
                Flush();
                text.Append(content);
            }
            else run.Add(id);
        }
        Flush();
        return text.ToString();

        void Flush()
        {
            if (run.Count == 0) return;
            text.Append(_model.Decode(run));
            run.Clear();
        }
    }
}
