using System.Text;
using static TorchSharp.torch;

namespace FedPrompt.Model.Pretraining;

/// <summary>How well a model predicts whole held-out articles: the loss over every token of every
/// article (its end-of-text included), per token and in bits per UTF-8 byte of the articles' text.
/// Per token depends on the tokenizer; bits per byte compares models whose tokenizers differ.</summary>
public sealed record HeldOutScore(int Articles, long Tokens, long Bytes, double LossPerToken, double BitsPerByte)
{
    public double Perplexity => Math.Exp(LossPerToken);
}

public static class HeldOutText
{
    /// <summary>Each article is read from its start: after the beginning-of-text token where the
    /// tokenizer has one, else after the end-of-text token (GPT-2's document separator), so its first
    /// token is predicted too; an article longer than the model's positions is read in consecutive
    /// windows, each starting afresh.</summary>
    public static HeldOutScore Measure(LanguageModel model, IReadOnlyList<Article> articles)
    {
        var tokenizer = model.Tokenizer;
        int start = tokenizer.BeginningOfTextId ?? tokenizer.EndOfTextId;
        int window = model.Config.Positions;
        double nats = 0;
        long tokens = 0, bytes = 0;
        using var noGrad = no_grad();
        foreach (var article in articles)
        {
            bytes += Encoding.UTF8.GetByteCount(article.Text);
            var predicted = tokenizer.Encode(article.Text).Append(tokenizer.EndOfTextId).ToList();
            for (int at = 0; at < predicted.Count; at += window - 1)
            {
                using var scope = NewDisposeScope();
                var part = predicted.Skip(at).Take(window - 1).Select(id => (long)id).ToArray();
                var input = tensor([(long)start, .. part[..^1]]).unsqueeze(0);
                // The sliced loss: a window's full-vocabulary logits at once are tens of MiB afresh (see NextTokenLoss).
                nats += model.Network.NextTokenLoss(model.Network.ForwardTokens(input)[0], tensor(part)).item<float>() * part.Length;
                tokens += part.Length;
            }
        }
        if (tokens == 0) throw new ArgumentException("no held-out text to measure");
        return new HeldOutScore(articles.Count, tokens, bytes, nats / tokens, nats / Math.Log(2) / bytes);
    }
}
