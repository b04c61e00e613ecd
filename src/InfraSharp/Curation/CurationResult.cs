using System.Text.Json.Nodes;

namespace InfraSharp.Curation;

/// <summary>The curated rows (every field kept, plus <c>weight</c>) and a readable account of what changed.</summary>
public sealed record CurationResult(List<JsonObject> Rows, string Summary);
