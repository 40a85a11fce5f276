using FedPrompt.Model;
using FedPrompt.Tuning.Templates;
using static TorchSharp.torch;

namespace FedPrompt.Tuning.Evaluation;

/// <summary>How far an evaluation is: <paramref name="Done"/> of <paramref name="Total"/> in its phase
/// (scoring every candidate answer, then decoding each example greedily).</summary>
public sealed record EvaluationProgress(string Phase, int Done, int Total);

/// <summary>Scores a prompted model on labelled examples (see <see cref="EvaluationResult"/>).</summary>
public static class Evaluator
{
    /// <summary>Mean answer-token cross-entropy, the reference's validation loss.</summary>
    public static double Loss(PromptedModel model, IReadOnlyList<TokenizedExample> examples, int batchSize = 16)
    {
        using var noGrad = no_grad();
        double sum = 0;
        long count = 0;
        foreach (var chunk in examples.Chunk(batchSize))
        {
            using var scope = NewDisposeScope();
            using var batch = PromptBatch.Create(chunk, model.Base.Tokenizer.EndOfTextId);
            var logProbs = model.TargetLogProbabilities(batch);
            sum -= logProbs.sum().item<float>();
            count += logProbs.shape[0];
        }
        return count == 0 ? double.NaN : sum / count;
    }

    /// <param name="generate">Also decode greedily and compare with the answer (slower: one decode per example).</param>
    public static EvaluationResult Evaluate(PromptedModel model, PromptFormatter formatter, IReadOnlyList<TokenizedExample> examples,
        IReadOnlyList<string> answers, bool generate, int batchSize = 16, IProgress<EvaluationProgress>? progress = null)
    {
        if (examples.Count == 0) throw new ArgumentException("no examples to evaluate");
        if (answers.Count == 0) throw new ArgumentException("no answers to choose from");
        var index = answers.Select((a, i) => (a, i)).ToDictionary(p => p.a, p => p.i);
        foreach (var example in examples)
            if (example.Answer is null || !index.ContainsKey(example.Answer))
                throw new ArgumentException($"{example.Origin}: answer \"{example.Answer}\" is not one of {string.Join(", ", answers)}");

        // Every (example, candidate answer) pair, scored by the summed log-probability of its answer tokens.
        var candidates = examples.SelectMany(e => answers.Select(a => formatter.WithAnswer(e with { Tokens = e.Prompt }, a))).ToList();
        var scores = new float[candidates.Count];
        var tokenCounts = candidates.Select(c => c.Length - c.AnswerStart).ToArray();
        using (no_grad())
        {
            int at = 0;
            foreach (var chunk in candidates.Chunk(batchSize))
            {
                using var scope = NewDisposeScope();
                using var batch = PromptBatch.Create(chunk, model.Base.Tokenizer.EndOfTextId);
                model.AnswerScores(batch).data<float>().CopyTo(scores, at);
                at += chunk.Length;
                progress?.Report(new EvaluationProgress("scoring answers", at, candidates.Count));
            }
        }

        var confusion = answers.Select(_ => new int[answers.Count]).ToArray();
        var predictions = new List<Prediction>();
        double lossSum = 0;
        long lossTokens = 0;
        int correct = 0, exact = 0;
        var generation = new GenerationOptions { MaxNewTokens = answers.Max(a => formatter.AnswerTokens(a).Length) };
        for (int e = 0; e < examples.Count; e++)
        {
            var example = examples[e];
            int truth = index[example.Answer!];
            int best = Enumerable.Range(0, answers.Count).MaxBy(k => scores[e * answers.Count + k]);
            confusion[truth][best]++;
            if (best == truth) correct++;
            lossSum -= scores[e * answers.Count + truth];
            lossTokens += tokenCounts[e * answers.Count + truth];
            string? generated = null;
            if (generate)
            {
                var tokens = model.Continue(example with { Tokens = example.Prompt }, generation);
                if (tokens.SequenceEqual(formatter.AnswerTokens(example.Answer!))) exact++;
                generated = model.Base.Tokenizer.Decode(tokens.Where(t => t != model.Base.Tokenizer.EndOfTextId));
                progress?.Report(new EvaluationProgress("generating", e + 1, examples.Count));
            }
            predictions.Add(new Prediction(example.Origin, example.Answer!, answers[best], generated));
        }

        var counts = answers.Select(a => examples.Count(e => e.Answer == a)).ToArray();
        int majority = Array.IndexOf(counts, counts.Max());
        return new EvaluationResult(examples.Count, lossSum / lossTokens, (double)correct / examples.Count,
            generate ? (double)exact / examples.Count : null, answers, confusion, answers[majority],
            (double)counts[majority] / examples.Count, predictions);
    }
}
