using System.Text.Json.Serialization;

namespace InfraSharp.Evaluation;

/// <summary>
/// Source-generated JSON of this stage's run arguments and manifest parts; the options are the manifests' shared ones.
/// </summary>
[JsonSerializable(typeof(EvaluationRunArguments))]
[JsonSerializable(typeof(EvaluationInputs))]
internal sealed partial class EvaluationJson : JsonSerializerContext
{
    /// <summary>With <see cref="Storage.RunManifest.SerializerOptions"/> (snake_case names, enums by their
    /// names).</summary>
    public static EvaluationJson Manifest { get; } = new(Storage.RunManifest.SerializerOptions());
}
