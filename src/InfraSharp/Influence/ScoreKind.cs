using System.Text.Json.Serialization;

namespace InfraSharp.Influence;

/// <summary>Which scores a run computes: queries x training examples, or each training example's
/// self-influence.</summary>
public enum ScoreKind
{
    /// <summary>Scores of every query against every training example.</summary>
    [JsonStringEnumMemberName("pairwise")]
    Pairwise,

    /// <summary>Each training example's influence on itself.</summary>
    [JsonStringEnumMemberName("self")]
    Self,
}
