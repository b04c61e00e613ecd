using System.Text.Json.Serialization;

namespace InfraSharp.Curation;

/// <summary>How a curation is applied: by drawing rows (replace) or by weighting every row (weight).</summary>
public enum CurationMode
{
    /// <summary>
    /// Draw rows in proportion to the curation's multipliers (repeating rows only when a group runs short), keeping
    /// the size.
    /// </summary>
    [JsonStringEnumMemberName("replace")]
    Replace,

    /// <summary>
    /// Keep every row once, with the curation's weight in its <c>weight</c> field (mean 1), which training applies.
    /// </summary>
    [JsonStringEnumMemberName("weight")]
    Weight,
}
