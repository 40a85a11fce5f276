using System.Buffers.Binary;
using System.Text;

namespace FedPrompt.Model.Tokenization;

/// <summary>sentencepiece_model.proto's SentencePiece.Type.</summary>
enum PieceType
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}

/// <summary>One entry of a SentencePiece model's vocabulary; its id is its position.</summary>
readonly record struct Piece(string Text, float Score, PieceType Type);

/// <summary>
/// The pieces of a tokenizer.model (ModelProto field 1: piece, score, type), read straight from
/// the protobuf because Microsoft.ML's SentencePieceTokenizer keeps the scores, which BPE merges
/// follow, to itself. Other fields are skipped; Microsoft.ML reads those.
/// </summary>
static class SentencePiecePieces
{
    const int VarintWire = 0, Fixed64Wire = 1, LengthWire = 2, Fixed32Wire = 5;

    public static List<Piece> Read(byte[] model, string path)
    {
        var pieces = new List<Piece>();
        try
        {
            var reader = new Reader(model);
            while (!reader.AtEnd)
            {
                var (field, wire) = reader.Tag();
                if (field == 1 && wire == LengthWire) pieces.Add(ReadPiece(reader.Bytes()));
                else reader.Skip(wire);
            }
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or IndexOutOfRangeException or OverflowException or InvalidDataException)
        {
            throw new InvalidDataException($"{path}: not a SentencePiece model (its pieces do not parse: {e.Message})", e);
        }
        return pieces;
    }

    static Piece ReadPiece(ReadOnlyMemory<byte> message)
    {
        var reader = new Reader(message);
        string text = "";
        float score = 0;
        var type = PieceType.Normal;
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.Tag();
            if (field == 1 && wire == LengthWire) text = Encoding.UTF8.GetString(reader.Bytes().Span);
            else if (field == 2 && wire == Fixed32Wire) score = reader.Float();
            else if (field == 3 && wire == VarintWire) type = (PieceType)reader.Varint();
            else reader.Skip(wire);
        }
        return new Piece(text, score, type);
    }

    sealed class Reader(ReadOnlyMemory<byte> data)
    {
        int _position;

        public bool AtEnd => _position >= data.Length;

        public (int Field, int Wire) Tag()
        {
            ulong tag = Varint();
            return ((int)(tag >> 3), (int)(tag & 7));
        }

        public ulong Varint()
        {
            ulong value = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                byte b = data.Span[_position++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return value;
            }
            throw new InvalidDataException("a varint runs past 10 bytes");
        }

        public ReadOnlyMemory<byte> Bytes()
        {
            int length = checked((int)Varint());
            var bytes = data.Slice(_position, length);
            _position += length;
            return bytes;
        }

        public float Float()
        {
            float value = BinaryPrimitives.ReadSingleLittleEndian(data.Span.Slice(_position, 4));
            _position += 4;
            return value;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case VarintWire: Varint(); break;
                case Fixed64Wire: _position += 8; break;
                case LengthWire: Bytes(); break;
                case Fixed32Wire: _position += 4; break;
                default: throw new InvalidDataException($"wire type {wire} at byte {_position}");
            }
        }
    }
}
