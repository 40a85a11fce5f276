using FedPrompt.Formats.Settings;
using FedPrompt.Model;

namespace FedPrompt.Testing;

/// <summary>Small random GPTs for tests that need a model but not particular weights.</summary>
public static class TinyModels
{
    public static GptConfig Config(int vocab = 97, int positions = 32, GptActivation activation = GptActivation.GeluTanh) => new()
    {
        VocabSize = vocab,
        Positions = positions,
        Embedding = 32,
        Layers = 2,
        Heads = 4,
        Activation = activation,
    };

    /// <summary>A Llama-family decoder with every optional feature on at once (grouped-query attention,
    /// an explicit head size, q/k/v biases, q/k norms, a sliding window shorter than the tests'
    /// sequences, llama3 RoPE scaling and an untied head), so one model exercises every code path.</summary>
    public static LlamaConfig Llama(int vocab = 97, int positions = 32, int? slidingWindow = 6) => new()
    {
        Family = LlamaFamily.Qwen3,
        VocabSize = vocab,
        Positions = positions,
        Embedding = 32,
        Layers = 2,
        Heads = 4,
        KeyValueHeads = 2,
        HeadDimension = 10,
        Inner = 48,
        QkvBias = true,
        QkNorm = true,
        SlidingWindow = slidingWindow,
        Rope = new RopeScaling(RopeScalingType.Llama3, Factor: 4, LowFrequencyFactor: 1, HighFrequencyFactor: 4, OriginalPositions: 16),
        TiedEmbeddings = false,
    };

    /// <summary>A tiny random model of each architecture, by name ("gpt", "llama"), with GPT-2's vocabulary.</summary>
    public static DecoderConfig Architecture(string name, int positions = 32) => name switch
    {
        "gpt" => Config(vocab: 50257, positions: positions),
        "llama" => Llama(vocab: 50257, positions: positions),
        _ => throw new ArgumentException($"no tiny {name}"),
    };

    public static LanguageModel Create(long seed = 1, DecoderConfig? config = null, Precision precision = Precision.Auto)
    {
        var model = LanguageModel.Create(config ?? Config(vocab: 50257), TextTokenizer.Gpt2(), seed, precision);
        model.Network.Freeze();
        model.Network.eval();
        return model;
    }
}
