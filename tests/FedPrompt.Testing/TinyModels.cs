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

    public static LanguageModel Create(long seed = 1, GptConfig? config = null, Precision precision = Precision.Auto)
    {
        var model = LanguageModel.Create(config ?? Config(vocab: 50257), TextTokenizer.Gpt2(), seed, precision);
        model.Network.Freeze();
        model.Network.eval();
        return model;
    }
}
