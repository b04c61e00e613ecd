using System.Text.Json.Serialization;

namespace InfraSharp.Experiment;

/// <summary>Source-generated JSON of the experiment's arguments; the options are the manifests' shared ones.</summary>
[JsonSerializable(typeof(ExperimentRunArguments))]
internal sealed partial class ExperimentJson : JsonSerializerContext
{
    /// <summary>
    /// With <see cref="Storage.RunManifest.SerializerOptions"/> (snake_case names, enums by their names).
    /// </summary>
    public static ExperimentJson Manifest { get; } = new(Storage.RunManifest.SerializerOptions());
}
