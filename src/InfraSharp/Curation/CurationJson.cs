using System.Text.Json.Serialization;

namespace InfraSharp.Curation;

/// <summary>Source-generated JSON for the curation run's arguments.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never, WriteIndented = true)]
[JsonSerializable(typeof(CurationRunArguments))]
public sealed partial class CurationJson : JsonSerializerContext;
