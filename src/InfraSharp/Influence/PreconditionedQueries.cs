using static TorchSharp.torch;

namespace InfraSharp.Influence;

/// <summary>
/// Query gradients after the preconditioner, computed once and kept: per module either the full matrices
/// [Q, out, in] or a rank-R factorisation U·Vᵀ with U [Q, out, R] (singular values folded in) and V [Q, in, R].
/// </summary>
internal sealed class PreconditionedQueries : IDisposable
{
    public required int Count { get; init; }
    public Dictionary<string, Tensor> Full { get; } = new();
    public Dictionary<string, (Tensor U, Tensor V)> LowRank { get; } = new();
    public bool IsLowRank => LowRank.Count > 0;

    /// <summary>
    /// Each query's self-influence ⟨P(G_q), G_q⟩ [Count] over these modules, float32: the scale the normalised
    /// reading divides by (<see cref="ScoreReading"/>). Formed from the full preconditioned matrices, before any
    /// rank-R factorisation, so it is the same at every query rank; for aggregated queries, of the mean gradient.
    /// </summary>
    public required Tensor Self { get; init; }

    /// <summary>Frees the kept matrices and the self-influence.</summary>
    public void Dispose()
    {
        Self.Dispose();
        foreach (var t in Full.Values)
            t.Dispose();
        foreach (var (u, v) in LowRank.Values)
        {
            u.Dispose();
            v.Dispose();
        }
    }
}
