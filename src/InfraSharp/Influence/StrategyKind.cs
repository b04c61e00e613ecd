using System.Text.Json.Serialization;

namespace InfraSharp.Influence;

/// <summary>The strategies of the registry (<see cref="InfluenceStrategy.Registry"/>), named as manifests name them.
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
}
