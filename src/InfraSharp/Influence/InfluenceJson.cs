using System.Text.Json.Serialization;

namespace InfraSharp.Influence;

/// <summary>Source-generated JSON of this stage's run arguments; the options are the manifests' shared ones.</summary>
[JsonSerializable(typeof(FactorRunArguments))]
[JsonSerializable(typeof(ScoreRunArguments))]
public sealed partial class InfluenceJson : JsonSerializerContext
{
    /// <summary>With <see cref="Storage.RunManifest.SerializerOptions"/> (snake_case names, enums by their
    /// names).</summary>
    public static InfluenceJson Manifest { get; } = new(Storage.RunManifest.SerializerOptions());
}
