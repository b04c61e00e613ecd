using System.Text.Json.Serialization;

namespace InfraSharp.Influence;

/// <summary>
/// Source-generated JSON of this stage's run arguments and manifest parts; the options are the manifests' shared ones.
/// </summary>
[JsonSerializable(typeof(FactorRunArguments))]
[JsonSerializable(typeof(FactorInputs))]
[JsonSerializable(typeof(FactorPlan))]
[JsonSerializable(typeof(FactorInfo))]
[JsonSerializable(typeof(ScoreRunArguments))]
[JsonSerializable(typeof(ScoreInputs))]
[JsonSerializable(typeof(ScorePlan))]
[JsonSerializable(typeof(ScoreInfo))]
internal sealed partial class InfluenceJson : JsonSerializerContext
{
    /// <summary>With <see cref="Storage.RunManifest.SerializerOptions"/> (snake_case names, enums by their
    /// names).</summary>
    public static InfluenceJson Manifest { get; } = new(Storage.RunManifest.SerializerOptions());
}
