using System.Text;
using Microsoft.ML.Tokenizers;

namespace FedPrompt.Model.Tokenization;

/// <summary>
/// A SentencePiece BPE model (Llama 2, TinyLlama, Mistral v0.1). Microsoft.ML's SentencePiece
/// tokenizer reads the model, normalizes the text (dummy prefix, ▁ for spaces) and decodes; the
/// merging is done here as sentencepiece's bpe_model.cc does it, because Microsoft.ML breaks ties
/// between equal-score pairs from the right where sentencepiece takes the leftmost ("a   b" is
/// ▁a ▁▁ ▁b in sentencepiece, ▁a ▁▁▁ b in Microsoft.ML 2.0.1).
/// </summary>
sealed class SentencePieceBpe : ITokenCodec
{
    readonly SentencePieceTokenizer _library;
    // Pieces merges may form or end in: normal and unused ones (user-defined are refused).
    readonly Dictionary<string, (int Id, float Score, bool Unused)> _pieces = new(StringComparer.Ordinal);
    readonly int[] _byteIds = new int[256];
    readonly int _unknownId;
    readonly bool _byteFallback;

    /// <summary>A tokenizer.model's contents as a tokenizer, with its own &lt;s&gt; and &lt;/s&gt;.</summary>
    public static TokenizerFile Read(byte[] model, string path)
    {
        SentencePieceTokenizer library;
        try
        {
            library = LlamaTokenizer.Create(new MemoryStream(model), addBeginOfSentence: false, addEndOfSentence: false);
        }
        catch (ArgumentException e)
        {
            throw new NotSupportedException($"{path}: {e.Message} (SentencePiece BPE with identity normalization only, as Llama 2 and Mistral ship)", e);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{path}: not a SentencePiece model: {e.Message}", e);
        }
        var vocabulary = library.Vocabulary;
        int? Known(int id) => id >= 0 ? id : null;
        // Hugging Face's LlamaTokenizer prepends <s> unless told otherwise; SentencePiece models are trained with it.
        var format = new FormatSpecialTokens(token => vocabulary.TryGetValue(token, out int id) ? id : null,
            Known(library.EndOfSentenceId), Known(library.BeginningOfSentenceId), AddsBeginning: true);
        return new TokenizerFile(new SentencePieceBpe(library, SentencePiecePieces.Read(model, path), path), vocabulary.Values.Max() + 1, format);
    }

    SentencePieceBpe(SentencePieceTokenizer library, IReadOnlyList<Piece> pieces, string path)
    {
        _library = library;
        _byteFallback = library.ByteFallback;
        _unknownId = library.UnknownId;
        for (int id = 0; id < pieces.Count; id++)
        {
            var piece = pieces[id];
            switch (piece.Type)
            {
                case PieceType.Normal or PieceType.Unused:
                    _pieces[piece.Text] = (id, piece.Score, piece.Type == PieceType.Unused);
                    break;
                case PieceType.UserDefined:
                    throw new NotSupportedException($"{path}: user-defined piece {piece.Text} is not supported");
                case PieceType.Byte when piece.Text is ['<', '0', 'x', _, _, '>']:
                    _byteIds[Convert.ToByte(piece.Text[3..5], 16)] = id;
                    break;
            }
        }
    }

    public IReadOnlyList<int> Encode(string text)
    {
        var normalized = _library.Normalizer?.Normalize(text) ?? text;
        var ids = new List<int>();
        if (normalized.Length == 0) return ids;
        var splits = new Dictionary<string, (string Left, string Right)>(StringComparer.Ordinal);
        var symbols = Merge(normalized, splits);
        for (int i = 0; i >= 0; i = symbols[i].Next) Emit(symbols[i].Text(normalized), splits, ids);
        return ids;
    }

    sealed class Symbol(int start, int length)
    {
        public int Start = start, Length = length, Previous, Next;

        public string Text(string text) => text.Substring(Start, Length);
    }

    /// <summary>bpe_model.cc's loop: one symbol per code point, then repeatedly the adjacent pair
    /// that forms the highest-scoring piece, the leftmost of equals, until no pair forms a piece.
    /// <paramref name="splits"/> gets, for each unused piece a pair could form, the last such pair.</summary>
    List<Symbol> Merge(string text, Dictionary<string, (string Left, string Right)> splits)
    {
        var symbols = new List<Symbol>();
        for (int i = 0; i < text.Length; i += char.IsSurrogatePair(text, i) ? 2 : 1)
            symbols.Add(new Symbol(i, char.IsSurrogatePair(text, i) ? 2 : 1) { Previous = symbols.Count - 1, Next = symbols.Count + 1 });
        symbols[^1].Next = -1;
        var agenda = new PriorityQueue<(int Left, int Right, int Length), (float Score, int Left)>(
            Comparer<(float Score, int Left)>.Create((a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Left.CompareTo(b.Left)));
        void Consider(int left, int right)
        {
            if (left < 0 || right < 0) return;
            int length = symbols[left].Length + symbols[right].Length;
            var merged = text.Substring(symbols[left].Start, length);
            if (!_pieces.TryGetValue(merged, out var piece)) return;
            agenda.Enqueue((left, right, length), (piece.Score, left));
            if (piece.Unused) splits[merged] = (symbols[left].Text(text), symbols[right].Text(text));
        }
        for (int i = 1; i < symbols.Count; i++) Consider(i - 1, i);
        while (agenda.TryDequeue(out var pair, out _))
        {
            var (left, right) = (symbols[pair.Left], symbols[pair.Right]);
            // A stale pair: one side has merged with something else since it was queued.
            if (left.Length == 0 || right.Length == 0 || left.Length + right.Length != pair.Length) continue;
            left.Length += right.Length;
            left.Next = right.Next;
            if (right.Next >= 0) symbols[right.Next].Previous = pair.Left;
            right.Length = 0;
            Consider(left.Previous, pair.Left);
            Consider(pair.Left, left.Next);
        }
        return symbols;
    }

    /// <summary>A merged symbol as ids: its piece; an unused piece split back into what formed it;
    /// text no piece spells as its UTF-8 bytes' &lt;0xNN&gt; pieces (or unknown without byte fallback).</summary>
    void Emit(string symbol, Dictionary<string, (string Left, string Right)> splits, List<int> ids)
    {
        if (!_pieces.TryGetValue(symbol, out var piece))
        {
            if (_byteFallback) ids.AddRange(Encoding.UTF8.GetBytes(symbol).Select(b => _byteIds[b]));
            else ids.Add(_unknownId);
        }
        else if (piece.Unused && splits.TryGetValue(symbol, out var split))
        {
            Emit(split.Left, splits, ids);
            Emit(split.Right, splits, ids);
        }
        else ids.Add(piece.Id);
    }

    public string Decode(IEnumerable<int> ids) => _library.Decode(ids) ?? "";
}
