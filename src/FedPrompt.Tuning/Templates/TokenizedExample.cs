namespace FedPrompt.Tuning.Templates;

/// <summary>
/// One example as the model sees it: token ids with <see cref="Virtual"/> where a prompt encoder's
/// output goes, and where the answer (label tokens, then end-of-text) starts.
/// </summary>
public sealed record TokenizedExample(int[] Tokens, int AnswerStart, string? Answer, string Origin)
{
    /// <summary>Marks a virtual-token position in <see cref="Tokens"/>.</summary>
    public const int Virtual = -1;

    public int Length => Tokens.Length;

    /// <summary>The tokens before the answer: what a model continues at inference time.</summary>
    public int[] Prompt => Tokens[..AnswerStart];
}
