using System.Text.Json.Serialization;

namespace InfraSharp.Curation;

/// <summary>
/// Source-generated JSON of this stage's run arguments and manifest parts; the options are the manifests' shared ones.
/// </summary>
[JsonSerializable(typeof(CurationRunArguments))]
[JsonSerializable(typeof(CurationInputs))]
[JsonSerializable(typeof(CurationInfo))]
internal sealed partial class CurationJson : JsonSerializerContext
{
    /// <summary>With <see cref="Storage.RunManifest.SerializerOptions"/> (snake_case names, enums by their
    /// names).</summary>
    public static CurationJson Manifest { get; } = new(Storage.RunManifest.SerializerOptions());
}
