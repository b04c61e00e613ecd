using System.Text.Json.Serialization;

namespace InfraSharp.Influence;

/// <summary>Source-generated JSON for the influence runs' argument records (as written into their manifests).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never, WriteIndented = true)]
[JsonSerializable(typeof(FactorRunArguments))]
[JsonSerializable(typeof(ScoreRunArguments))]
public sealed partial class InfluenceJson : JsonSerializerContext;
