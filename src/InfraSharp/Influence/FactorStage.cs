using System.Text.Json.Serialization;

namespace InfraSharp.Influence;

/// <summary>
/// Which factor stage a run executes. <see cref="All"/> runs every stage the strategy needs in order (with a data
/// partition, its slice of each data stage; the eigendecomposition is then computed once, by whichever partition
/// gets there first). The others run one stage, so that a scheduler can give each its own array of tasks.
/// </summary>
public enum FactorStage
{
    [JsonStringEnumMemberName("all")]
    All,

    [JsonStringEnumMemberName("covariance")]
    Covariance,

    [JsonStringEnumMemberName("eigen")]
    Eigen,

    [JsonStringEnumMemberName("lambda")]
    Lambda,
}
