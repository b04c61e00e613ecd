using System.Text.Json.Serialization;

namespace InfraSharp.Reporting;

/// <summary>
/// Source-generated JSON of this stage's run arguments and manifest parts; the options are the manifests' shared ones.
/// </summary>
[JsonSerializable(typeof(AnalysisRunArguments))]
[JsonSerializable(typeof(AnalysisInputs))]
internal sealed partial class ReportingJson : JsonSerializerContext
{
    /// <summary>With <see cref="Storage.RunManifest.SerializerOptions"/> (snake_case names, enums by their
    /// names).</summary>
    public static ReportingJson Manifest { get; } = new(Storage.RunManifest.SerializerOptions());
}
