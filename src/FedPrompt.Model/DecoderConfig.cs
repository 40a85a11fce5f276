namespace FedPrompt.Model;

/// <summary>
/// What every decoder-only model this engine runs has in common: a vocabulary, a context, a residual
/// width, layers, and attention heads whose keys and values a <see cref="KvCache"/> (and a deep
/// prompt's prefix) holds as [batch, <see cref="KvHeads"/>, length, <see cref="HeadSize"/>].
/// </summary>
public abstract record DecoderConfig
{
    public required int VocabSize { get; init; }
    /// <summary>The longest sequence the model was trained for (learned positions or RoPE's declared limit).</summary>
    public required int Positions { get; init; }
    public required int Embedding { get; init; }
    public required int Layers { get; init; }
    public required int Heads { get; init; }

    /// <summary>Key/value heads: fewer than <see cref="Heads"/> under grouped-query attention.</summary>
    public virtual int KvHeads => Heads;
    public virtual int HeadSize => Embedding / Heads;

    public abstract long ParameterCount { get; }

    /// <summary>Weights of one layer's matrix products: 2 × this many FLOPs per token forward.</summary>
    public abstract long LayerMatrixWeights { get; }
    public abstract string Describe();

    /// <summary>Throws with the offending setting named; <paramref name="origin"/> says where the config came from.</summary>
    public DecoderConfig Validated(string origin)
    {
        var problems = Problems().ToList();
        if (problems.Count > 0) throw new InvalidDataException($"{origin}: {string.Join("; ", problems)}");
        return this;
    }

    protected virtual IEnumerable<string> Problems()
    {
        if (VocabSize <= 0) yield return $"vocab size must be positive (got {VocabSize})";
        if (Positions <= 0) yield return $"positions must be positive (got {Positions})";
        if (Embedding <= 0) yield return $"embedding size must be positive (got {Embedding})";
        if (Layers <= 0) yield return $"layer count must be positive (got {Layers})";
        if (Heads <= 0) yield return $"head count must be positive (got {Heads})";
    }
}
