using System.Text.Json.Serialization;

namespace InfraSharp.Influence;

/// <summary>Which scores a run computes: queries x training examples, or each training example's
/// self-influence.</summary>
public enum ScoreKind
{
    [JsonStringEnumMemberName("pairwise")]
    Pairwise,

    [JsonStringEnumMemberName("self")]
    Self,
}
