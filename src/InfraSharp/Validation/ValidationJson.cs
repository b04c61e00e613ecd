using System.Text.Json.Serialization;

namespace InfraSharp.Validation;

/// <summary>
/// Source-generated JSON of this stage's run arguments and manifest parts; the options are the manifests' shared ones.
/// </summary>
[JsonSerializable(typeof(LdsRunArguments))]
[JsonSerializable(typeof(LdsInputs))]
[JsonSerializable(typeof(LdsPlan))]
[JsonSerializable(typeof(LdsInfo))]
internal sealed partial class ValidationJson : JsonSerializerContext
{
    /// <summary>
    /// With <see cref="Storage.RunManifest.SerializerOptions"/> (snake_case names, enums by their names).
    /// </summary>
    public static ValidationJson Manifest { get; } = new(Storage.RunManifest.SerializerOptions());
}
