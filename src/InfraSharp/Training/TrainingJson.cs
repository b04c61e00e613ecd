using System.Text.Json.Serialization;

namespace InfraSharp.Training;

/// <summary>
/// Source-generated JSON of this stage's run arguments and manifest parts; the options are the manifests' shared ones.
/// </summary>
[JsonSerializable(typeof(TrainingRunArguments))]
[JsonSerializable(typeof(TrainingInputs))]
internal sealed partial class TrainingJson : JsonSerializerContext
{
    /// <summary>With <see cref="Storage.RunManifest.SerializerOptions"/> (snake_case names, enums by their
    /// names).</summary>
    public static TrainingJson Manifest { get; } = new(Storage.RunManifest.SerializerOptions());
}
