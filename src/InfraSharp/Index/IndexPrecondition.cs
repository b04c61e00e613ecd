using System.Text.Json.Serialization;
using InfraSharp.Influence;

namespace InfraSharp.Index;

/// <summary>The preconditioner an index is fitted with and applies, in the projected space.</summary>
public enum IndexPrecondition
{
    /// <summary>No preconditioner: plain dot products of projected gradients.</summary>
    [JsonStringEnumMemberName("none")]
    None,

    /// <summary>The diagonal Fisher of the projected gradients.</summary>
    [JsonStringEnumMemberName("diagonal")]
    Diagonal,

    /// <summary>K-FAC on the projected activation and gradient covariances.</summary>
    [JsonStringEnumMemberName("kfac")]
    Kfac,

    /// <summary>
    /// EK-FAC: the K-FAC eigenbasis with eigenvalues refitted to the projected per-example gradients.
    /// </summary>
    [JsonStringEnumMemberName("ekfac")]
    Ekfac,
}

/// <summary>The influence strategy behind each <see cref="IndexPrecondition"/>.</summary>
public static class IndexPreconditions
{
    /// <summary>The registry's strategy it is fitted and applied as (<c>none</c> is the identity).</summary>
    public static StrategyKind Strategy(this IndexPrecondition p) =>
        p switch
        {
            IndexPrecondition.Diagonal => StrategyKind.Diagonal,
            IndexPrecondition.Kfac => StrategyKind.Kfac,
            IndexPrecondition.Ekfac => StrategyKind.Ekfac,
            _ => StrategyKind.Identity,
        };
}
