using System.Text.Json.Serialization;

namespace InfraSharp.Index;

/// <summary>Source-generated JSON of the index's records; the options are the manifests' shared ones.</summary>
[JsonSerializable(typeof(IndexArguments))]
[JsonSerializable(typeof(IndexInputs))]
[JsonSerializable(typeof(IndexPlan))]
[JsonSerializable(typeof(IndexInfo))]
[JsonSerializable(typeof(IndexQueryInputs))]
[JsonSerializable(typeof(IndexQueryInfo))]
[JsonSerializable(typeof(IndexBuildRunArguments))]
[JsonSerializable(typeof(IndexQueryRunArguments))]
[JsonSerializable(typeof(ShardHeader))]
[JsonSerializable(typeof(List<IndexSegment>))]
internal sealed partial class IndexJson : JsonSerializerContext
{
    /// <summary>
    /// With <see cref="Storage.RunManifest.SerializerOptions"/> (snake_case names, enums by their names).
    /// </summary>
    public static IndexJson Manifest { get; } = new(Storage.RunManifest.SerializerOptions());
}
