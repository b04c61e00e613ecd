using System.Text.Json.Serialization;

namespace InfraSharp.Reporting;

/// <summary>Source-generated JSON for the analysis run's arguments (as written into its manifest).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never, WriteIndented = true)]
[JsonSerializable(typeof(AnalysisRunArguments))]
public sealed partial class ReportingJson : JsonSerializerContext;
