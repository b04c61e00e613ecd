using System.Text.Json.Serialization;

namespace InfraSharp.Influence;

/// <summary>
/// The score sources, named as manifests name them: the gradient strategies of the registry
/// (<see cref="InfluenceStrategy.Registry"/>) and the baselines that need no factors (<see cref="Random"/>,
/// <see cref="Repsim"/>, <see cref="Bm25"/>), which write score folders of the same format and sign.
/// </summary>
public enum StrategyKind
{
    /// <summary>Plain gradient dot products: no preconditioner, no factors.</summary>
    [JsonStringEnumMemberName("identity")]
    Identity,

    /// <summary>The diagonal Fisher: each weight divided by its mean squared per-example gradient.</summary>
    [JsonStringEnumMemberName("diagonal")]
    Diagonal,

    /// <summary>K-FAC: the Fisher as a Kronecker product of activation and gradient covariances.</summary>
    [JsonStringEnumMemberName("kfac")]
    Kfac,

    /// <summary>
    /// EK-FAC: the K-FAC eigenbasis with eigenvalues refitted to per-example gradients (the default).
    /// </summary>
    [JsonStringEnumMemberName("ekfac")]
    Ekfac,

    /// <summary>Baseline: seeded N(0, 1) scores, the null every other number is read against.</summary>
    [JsonStringEnumMemberName("random")]
    Random,

    /// <summary>
    /// Baseline: cosine similarity of the mean last hidden state over the answer tokens of query and training row
    /// (DATE-LM's representation similarity).
    /// </summary>
    [JsonStringEnumMemberName("repsim")]
    Repsim,

    /// <summary>Baseline: Okapi BM25 (k1 = 1.2, b = 0.75) of the query's tokens against the training row's.</summary>
    [JsonStringEnumMemberName("bm25")]
    Bm25,
}
