using FedPrompt.Model;
using FedPrompt.Tuning.Encoders;
using FedPrompt.Tuning.Templates;
using static TorchSharp.torch;

namespace FedPrompt.Tuning;

/// <summary>
/// A frozen GPT steered by a prompt encoder (or LoRA adapters). The LM head — a [d × vocabulary] product, the largest
/// single cost at small batch — is applied only at the positions the loss reads, gathered first:
/// the same loss as NeMo's logits-everywhere-then-mask at a fraction of the work.
/// </summary>
public sealed class PromptedModel(LanguageModel model, PromptEncoder encoder)
{
    public LanguageModel Base { get; } = model;
    public PromptEncoder Encoder { get; } = encoder;
    public Decoder Network => Base.Network;

    /// <summary>Final hidden states [batch, length, embedding] with the prompt in place.</summary>
    public Tensor Hidden(PromptBatch batch) => Hidden(batch, computed: null);

    /// <param name="computed">Only these positions are computed (the output is zero elsewhere).</param>
    Tensor Hidden(PromptBatch batch, RowPrefixes? computed)
    {
        using var prefix = Encoder.Prefix(batch.Size);
        return Network.Forward(Embed(batch), prefix, computed: computed, adapters: Encoder.Adapters);
    }

    /// <summary>Word embeddings with the encoder's output at the virtual positions.</summary>
    Tensor Embed(PromptBatch batch)
    {
        var embeddings = Network.EmbedTokens(batch.Ids);
        if (Encoder.InputEmbeddings() is not { } virtualEmbeddings) return embeddings;
        if (!batch.HasVirtualTokens)
            throw new InvalidOperationException("an input-level prompt encoder needs examples with virtual token positions");
        var slots = batch.VirtualSlots;
        var placed = virtualEmbeddings.index_select(0, slots.clamp_min(0).flatten()).view(embeddings.shape);
        return where(slots.ge(0).unsqueeze(-1), placed, embeddings);
    }

    /// <summary>[N] log-probability of each loss target, in the order of <see cref="PromptBatch.Targets"/>.</summary>
    public Tensor TargetLogProbabilities(PromptBatch batch)
    {
        var hidden = Hidden(batch, batch.LossReads);
        var gathered = hidden.reshape(-1, hidden.shape[^1]).index_select(0, batch.LossPositions);
        var logProbs = Network.LmHead(gathered).log_softmax(-1);
        return logProbs.gather(1, batch.Targets.unsqueeze(1)).squeeze(1);
    }

    /// <summary>Mean cross-entropy over the batch's answer tokens (NeMo's answer-only loss).</summary>
    public Tensor Loss(PromptBatch batch) => -TargetLogProbabilities(batch).mean();

    /// <summary>[batch] summed log-probability of each example's answer tokens.</summary>
    public Tensor AnswerScores(PromptBatch batch) =>
        zeros(batch.Size).index_add(0, batch.LossRows, TargetLogProbabilities(batch), 1);

    /// <summary>Greedy (or sampled) continuation of a prompt with the encoder's virtual tokens or prefixes.</summary>
    public List<int> Continue(TokenizedExample prompt, GenerationOptions options)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        using var batch = PromptBatch.Create([prompt with { AnswerStart = prompt.Length }], Base.Tokenizer.EndOfTextId);
        using var prefix = Encoder.Prefix(1);
        return Generation.Continue(Network, Embed(batch), Base.Tokenizer, options, prefix, Encoder.Adapters);
    }
}
