using FedPrompt.Model;
using FedPrompt.Tuning.Templates;
using static TorchSharp.torch;

namespace FedPrompt.Tuning;

/// <summary>
/// Examples right-padded into one batch (causal attention never looks right, so padding needs no
/// mask), with where the virtual tokens go and which positions the loss reads: position t predicts
/// token t+1, so a target in the answer makes t a loss position.
/// </summary>
public sealed class PromptBatch : IDisposable
{
    PromptBatch(Tensor ids, Tensor virtualSlots, Tensor lossPositions, Tensor targets, Tensor lossRows, RowPrefixes lossReads, int size, int length)
    {
        LossReads = lossReads;
        Ids = ids;
        VirtualSlots = virtualSlots;
        LossPositions = lossPositions;
        Targets = targets;
        LossRows = lossRows;
        Size = size;
        Length = length;
    }

    /// <summary>[batch, length] token ids; virtual positions hold 0, padding the pad id.</summary>
    public Tensor Ids { get; }
    /// <summary>[batch, length]: which virtual token goes at each position, −1 elsewhere.</summary>
    public Tensor VirtualSlots { get; }
    /// <summary>[N] flat indices (row·length + t) of the positions whose next token is in the loss.</summary>
    public Tensor LossPositions { get; }
    /// <summary>[N] the tokens those positions must predict.</summary>
    public Tensor Targets { get; }
    /// <summary>[N] which example each loss position belongs to.</summary>
    public Tensor LossRows { get; }
    /// <summary>The positions the loss depends on: each row up to its last loss position.</summary>
    public RowPrefixes LossReads { get; }
    public int Size { get; }
    public int Length { get; }
    public bool HasVirtualTokens { get; private init; }

    /// <param name="answerOnly">Loss on the answer tokens only (NeMo's answer_only_loss); otherwise on
    /// every real token after the first.</param>
    public static PromptBatch Create(IReadOnlyList<TokenizedExample> examples, int padId, bool answerOnly = true)
    {
        if (examples.Count == 0) throw new ArgumentException("an empty batch");
        int length = examples.Max(e => e.Length);
        var ids = new long[examples.Count * length];
        var slots = new long[examples.Count * length];
        var positions = new List<long>();
        var targets = new List<long>();
        var rows = new List<long>();
        var readLengths = new int[examples.Count];
        bool anyVirtual = false;
        for (int row = 0; row < examples.Count; row++)
        {
            var tokens = examples[row].Tokens;
            int slot = 0;
            for (int t = 0; t < length; t++)
            {
                int at = row * length + t;
                bool isVirtual = t < tokens.Length && tokens[t] == TokenizedExample.Virtual;
                ids[at] = t >= tokens.Length ? padId : isVirtual ? 0 : tokens[t];
                slots[at] = isVirtual ? slot++ : -1;
                anyVirtual |= isVirtual;
                if (t + 1 >= tokens.Length || tokens[t + 1] == TokenizedExample.Virtual) continue;
                if (answerOnly ? t + 1 >= examples[row].AnswerStart : true)
                {
                    positions.Add(at);
                    targets.Add(tokens[t + 1]);
                    rows.Add(row);
                    readLengths[row] = t + 1;
                }
            }
        }
        return new PromptBatch(
            tensor(ids).view(examples.Count, length), tensor(slots).view(examples.Count, length),
            tensor(positions.ToArray()), tensor(targets.ToArray()), tensor(rows.ToArray()), new RowPrefixes(readLengths, length),
            examples.Count, length)
        {
            HasVirtualTokens = anyVirtual,
        };
    }

    public void Dispose()
    {
        Ids.Dispose();
        VirtualSlots.Dispose();
        LossPositions.Dispose();
        Targets.Dispose();
        LossRows.Dispose();
        LossReads.Dispose();
    }
}
