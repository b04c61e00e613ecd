using System.Text.Json.Serialization;
using InfraSharp.Influence;

namespace InfraSharp.Index;

/// <summary>The preconditioner an index is fitted with and applies, in the projected space.</summary>
public enum IndexPrecondition
{
    [JsonStringEnumMemberName("none")]
    None,

    [JsonStringEnumMemberName("diagonal")]
    Diagonal,

    [JsonStringEnumMemberName("kfac")]
    Kfac,

    [JsonStringEnumMemberName("ekfac")]
    Ekfac,
}

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
