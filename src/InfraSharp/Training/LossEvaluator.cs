using InfraSharp.Models;
using InfraSharp.Text;
using static TorchSharp.torch;

namespace InfraSharp.Training;

/// <summary>Mean next-token loss per labelled token over a set of examples (held-out loss).</summary>
internal static class LossEvaluator
{
    public static double MeanLoss(
        CausalLM model,
        IReadOnlyList<EncodedExample> examples,
        int batchSize = 16,
        int padId = 0
    )
    {
        double total = 0;
        long tokens = 0;
        using var _ = no_grad();
        for (int i = 0; i < examples.Count; i += batchSize)
        {
            using var scope = NewDisposeScope();
            var chunk = examples.Skip(i).Take(batchSize).ToList();
            var b = Batching.Pad(chunk, padId);
            var loss = LanguageModelLoss.PerTokenLoss(model.Forward(b.InputIds, b.AttentionMask), b.Labels);
            total += loss.sum().to(ScalarType.Float64).item<double>();
            tokens += chunk.Sum(e => Math.Max(0, e.Labels.Skip(1).Count(l => l != EncodedExample.IgnoreIndex)));
        }
        return tokens == 0 ? double.NaN : total / tokens;
    }
}
