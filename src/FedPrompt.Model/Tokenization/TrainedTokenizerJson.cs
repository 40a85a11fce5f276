using System.Text.Encodings.Web;
using System.Text.Json;

namespace FedPrompt.Model.Tokenization;

/// <summary>
/// A <see cref="TrainedBpe"/> as Hugging Face files in Llama 3's layout, field for field, so that
/// Hugging Face's libraries load it as they load Llama 3's: Split (Llama 3's regex, Isolated)
/// then ByteLevel without its own regex, BPE without ignore_merges, &lt;|begin_of_text|&gt; put
/// before every text by a TemplateProcessing post-processor, ByteLevel decoding.
/// </summary>
static class TrainedTokenizerJson
{
    static readonly JsonWriterOptions Layout = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Tokenizer(TrainedBpe bpe) => Write(json =>
    {
        json.WriteString("version", "1.0");
        json.WriteNull("truncation");
        json.WriteNull("padding");
        json.WriteStartArray("added_tokens");
        AddedToken(json, bpe.BeginningOfTextId, BpeTrainer.BeginningOfText);
        AddedToken(json, bpe.EndOfTextId, BpeTrainer.EndOfText);
        json.WriteEndArray();
        json.WriteNull("normalizer");
        json.WriteStartObject("pre_tokenizer");
        json.WriteString("type", "Sequence");
        json.WriteStartArray("pretokenizers");
        json.WriteStartObject();
        json.WriteString("type", "Split");
        json.WriteStartObject("pattern");
        json.WriteString("Regex", PreTokenizerStep.Llama3Split);
        json.WriteEndObject();
        json.WriteString("behavior", "Isolated");
        json.WriteBoolean("invert", false);
        json.WriteEndObject();
        ByteLevel(json, null, addPrefixSpace: false, trimOffsets: true, useRegex: false);
        json.WriteEndArray();
        json.WriteEndObject();
        PostProcessor(json, bpe.BeginningOfTextId);
        ByteLevel(json, "decoder", addPrefixSpace: true, trimOffsets: true, useRegex: true);
        Model(json, bpe);
    });

    /// <summary>The special tokens by name; add_bos_token for readers that look for it rather than at the post-processor.</summary>
    public static byte[] Config() => Write(json =>
    {
        json.WriteBoolean("add_bos_token", true);
        json.WriteBoolean("add_eos_token", false);
        json.WriteString("bos_token", BpeTrainer.BeginningOfText);
        // Decoding gives back the text as written, as the engine's decoder does.
        json.WriteBoolean("clean_up_tokenization_spaces", false);
        json.WriteString("eos_token", BpeTrainer.EndOfText);
        json.WriteString("tokenizer_class", "PreTrainedTokenizerFast");
    });

    static byte[] Write(Action<Utf8JsonWriter> fields)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, Layout))
        {
            json.WriteStartObject();
            fields(json);
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    static void AddedToken(Utf8JsonWriter json, int id, string content)
    {
        json.WriteStartObject();
        json.WriteNumber("id", id);
        json.WriteString("content", content);
        json.WriteBoolean("single_word", false);
        json.WriteBoolean("lstrip", false);
        json.WriteBoolean("rstrip", false);
        json.WriteBoolean("normalized", false);
        json.WriteBoolean("special", true);
        json.WriteEndObject();
    }

    static void ByteLevel(Utf8JsonWriter json, string? name, bool addPrefixSpace, bool trimOffsets, bool useRegex)
    {
        if (name is null) json.WriteStartObject();
        else json.WriteStartObject(name);
        json.WriteString("type", "ByteLevel");
        json.WriteBoolean("add_prefix_space", addPrefixSpace);
        json.WriteBoolean("trim_offsets", trimOffsets);
        json.WriteBoolean("use_regex", useRegex);
        json.WriteEndObject();
    }

    static void PostProcessor(Utf8JsonWriter json, int beginningId)
    {
        json.WriteStartObject("post_processor");
        json.WriteString("type", "Sequence");
        json.WriteStartArray("processors");
        ByteLevel(json, null, addPrefixSpace: true, trimOffsets: false, useRegex: true);
        json.WriteStartObject();
        json.WriteString("type", "TemplateProcessing");
        json.WriteStartArray("single");
        Piece(json, "SpecialToken", BpeTrainer.BeginningOfText, 0);
        Piece(json, "Sequence", "A", 0);
        json.WriteEndArray();
        json.WriteStartArray("pair");
        Piece(json, "SpecialToken", BpeTrainer.BeginningOfText, 0);
        Piece(json, "Sequence", "A", 0);
        Piece(json, "SpecialToken", BpeTrainer.BeginningOfText, 1);
        Piece(json, "Sequence", "B", 1);
        json.WriteEndArray();
        json.WriteStartObject("special_tokens");
        json.WriteStartObject(BpeTrainer.BeginningOfText);
        json.WriteString("id", BpeTrainer.BeginningOfText);
        json.WriteStartArray("ids");
        json.WriteNumberValue(beginningId);
        json.WriteEndArray();
        json.WriteStartArray("tokens");
        json.WriteStringValue(BpeTrainer.BeginningOfText);
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
    }

    static void Piece(Utf8JsonWriter json, string kind, string id, int typeId)
    {
        json.WriteStartObject();
        json.WriteStartObject(kind);
        json.WriteString("id", id);
        json.WriteNumber("type_id", typeId);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    static void Model(Utf8JsonWriter json, TrainedBpe bpe)
    {
        json.WriteStartObject("model");
        json.WriteString("type", "BPE");
        json.WriteNull("dropout");
        json.WriteNull("unk_token");
        json.WriteNull("continuing_subword_prefix");
        json.WriteNull("end_of_word_suffix");
        json.WriteBoolean("fuse_unk", false);
        json.WriteBoolean("byte_fallback", false);
        json.WriteBoolean("ignore_merges", false);
        json.WriteStartObject("vocab");
        for (int id = 0; id < bpe.Tokens.Count; id++) json.WriteNumber(bpe.Tokens[id], id);
        json.WriteEndObject();
        json.WriteStartArray("merges");
        foreach (var (left, right) in bpe.Merges)
        {
            json.WriteStartArray();
            json.WriteStringValue(left);
            json.WriteStringValue(right);
            json.WriteEndArray();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }
}
