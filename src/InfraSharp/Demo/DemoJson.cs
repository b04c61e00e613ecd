using System.Text.Json.Serialization;

namespace InfraSharp.Demo;

/// <summary>
/// Source-generated JSON of the demo's arguments and stage journal; the options are the manifests' shared ones.
/// </summary>
[JsonSerializable(typeof(DemoRunArguments))]
[JsonSerializable(typeof(Dictionary<string, DemoStage>))]
internal sealed partial class DemoJson : JsonSerializerContext
{
    /// <summary>
    /// With <see cref="Storage.RunManifest.SerializerOptions"/> (snake_case names, enums by their names).
    /// </summary>
    public static DemoJson Manifest { get; } = new(Storage.RunManifest.SerializerOptions());
}
