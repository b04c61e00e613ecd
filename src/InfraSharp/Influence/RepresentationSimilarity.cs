using InfraSharp.Models;
using InfraSharp.Storage;
using InfraSharp.Text;
using static TorchSharp.torch;

namespace InfraSharp.Influence;

/// <summary>
/// DATE-LM's representation-similarity baseline: each example is the mean of the model's last hidden state (the
/// final norm's output, the input of <c>lm_head</c>) over its answer tokens, the positions whose label is not
/// -100, taking each answer token's own position (the state after reading that token, not the one predicting it);
/// a row without answer tokens (a prompt-only row) is the mean over all its tokens. The score is the cosine of the
/// query's and the training row's means, computed in float64: in [-1, 1], larger = more alike.
/// </summary>
internal sealed class RepresentationSimilarity : BaselineScores
{
    public override StrategyKind Kind => StrategyKind.Repsim;

    public override IChunkScorer Prepare(
        LoadedModel model,
        IReadOnlyList<EncodedExample> queries,
        IReadOnlyList<EncodedExample> train,
        ScoreArguments settings,
        RunOptions options
    )
    {
        var q = UnitMeans(model, queries, 0, queries.Count, settings.TokensPerBatch, options.Cancellation);
        return new Scorer(model, q, train, settings.TokensPerBatch, options.Cancellation);
    }

    /// <summary>
    /// The unit-length mean answer states [end - start, hidden] (float64, on the model's device) of examples
    /// [start, end), batched within <paramref name="tokensPerBatch"/> padded tokens as the score run batches them.
    /// </summary>
    public static Tensor UnitMeans(
        LoadedModel model,
        IReadOnlyList<EncodedExample> examples,
        int start,
        int end,
        int tokensPerBatch,
        CancellationToken cancel = default
    )
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var parts = new List<Tensor>();
        foreach (var (s, n) in TokenBatches.Plan(examples, start, end, tokensPerBatch))
        {
            cancel.ThrowIfCancellationRequested();
            var batch = Batching.Pad([.. examples.Skip(s).Take(n)], model.PadId);
            var device = model.Model.Device;
            var mask = batch.AttentionMask.to(device).to(ScalarType.Float64);
            var h = model.Model.LastHiddenState(batch.InputIds, batch.AttentionMask).to(ScalarType.Float64);
            var answer = batch.Labels.to(device).ne(EncodedExample.IgnoreIndex).to(ScalarType.Float64);
            // Rows without an answer token fall back to every real token.
            var none = answer.sum(dim: 1, keepdim: true).eq(0).to(ScalarType.Float64);
            var w = answer + none * mask;
            var mean = (h * w.unsqueeze(-1)).sum(dim: 1) / w.sum(dim: 1, keepdim: true);
            parts.Add(mean / mean.norm(1, keepdim: true).clamp_min(1e-300));
        }
        return (
            parts.Count == 0 ? zeros(0, model.Model.Config.HiddenSize, dtype: ScalarType.Float64) : cat(parts, 0)
        ).MoveToOuterDisposeScope();
    }

    private sealed class Scorer(
        LoadedModel model,
        Tensor queries,
        IReadOnlyList<EncodedExample> train,
        int tokensPerBatch,
        CancellationToken cancel
    ) : IChunkScorer
    {
        public Tensor Score(int start, int end)
        {
            using var scope = NewDisposeScope();
            var t = UnitMeans(model, train, start, end, tokensPerBatch, cancel);
            return matmul(queries, t.to(queries.device).transpose(0, 1))
                .to(ScalarType.Float32)
                .cpu()
                .MoveToOuterDisposeScope();
        }

        public void Dispose() => queries.Dispose();
    }
}
