using System.Text.Json.Serialization;

namespace InfraSharp.Influence;

/// <summary>
/// Which factor stage a run executes. <see cref="All"/> runs every stage the strategy needs in order (with a data
/// partition, its slice of each data stage; the eigendecomposition is then computed once, by whichever partition
/// gets there first). The others run one stage, so that a scheduler can give each its own array of tasks.
/// </summary>
public enum FactorStage
{
    /// <summary>Every stage the strategy needs, in order.</summary>
    [JsonStringEnumMemberName("all")]
    All,

    /// <summary>The activation and gradient covariances (sums of a·aᵀ and g·gᵀ), a pass over the data.</summary>
    [JsonStringEnumMemberName("covariance")]
    Covariance,

    /// <summary>The eigendecompositions of the covariances, one module at a time (no data).</summary>
    [JsonStringEnumMemberName("eigen")]
    Eigen,

    /// <summary>
    /// The eigenvalue matrix (EK-FAC's corrected eigenvalues, or the diagonal Fisher), a second pass over the data.
    /// </summary>
    [JsonStringEnumMemberName("lambda")]
    Lambda,
}
