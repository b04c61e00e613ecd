using System.Text.Json.Serialization;

namespace InfraSharp.Evaluation;

/// <summary>Source-generated JSON for the evaluation run's arguments (as written into its manifest).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never, WriteIndented = true)]
[JsonSerializable(typeof(EvaluationRunArguments))]
public sealed partial class EvaluationJson : JsonSerializerContext;
