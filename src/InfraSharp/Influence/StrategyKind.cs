using System.Text.Json.Serialization;

namespace InfraSharp.Influence;

/// <summary>The strategies of the registry (<see cref="InfluenceStrategy.Registry"/>), named as manifests name them.
/// </summary>
public enum StrategyKind
{
    [JsonStringEnumMemberName("identity")]
    Identity,

    [JsonStringEnumMemberName("diagonal")]
    Diagonal,

    [JsonStringEnumMemberName("kfac")]
    Kfac,

    [JsonStringEnumMemberName("ekfac")]
    Ekfac,
}
