using System.Text.Json.Nodes;

namespace InfraSharp.Curation;

/// <summary>The curated rows (every field kept, plus <c>weight</c>) and a readable account of what changed.</summary>
public sealed record CurationResult(List<JsonObject> Rows, string Summary)
{
    /// <summary>
    /// Replace mode: rows that repeat a row drawn already (0 when every row is drawn once); weight mode: null.
    /// </summary>
    public int? Duplicates { get; init; }
}
