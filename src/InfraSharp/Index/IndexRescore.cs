using System.Text.Json.Serialization;

namespace InfraSharp.Index;

/// <summary>Whether an index query's candidates are scored again, exactly.</summary>
public enum IndexRescore
{
    /// <summary>The store's projected scores are the answer.</summary>
    [JsonStringEnumMemberName("none")]
    None,

    /// <summary>
    /// Each query's top and bottom <see cref="IndexQueryRunArguments.RescoreK"/> candidates are scored again with the
    /// full gradients and the factors (what <c>infra scores pairwise</c> writes), and ranked by those scores.
    /// </summary>
    [JsonStringEnumMemberName("exact")]
    Exact,
}
