using System.Text.Json.Serialization;

namespace InfraSharp.Curation;

/// <summary>How a curation is applied: by drawing rows (replace) or by weighting every row (weight).</summary>
public enum CurationMode
{
    [JsonStringEnumMemberName("replace")]
    Replace,

    [JsonStringEnumMemberName("weight")]
    Weight,
}
