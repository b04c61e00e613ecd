using System.Text.Json.Serialization;

namespace InfraSharp.Training;

/// <summary>Source-generated JSON for the training run's arguments (as written into its manifest).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never, WriteIndented = true)]
[JsonSerializable(typeof(TrainingRunArguments))]
public sealed partial class TrainingJson : JsonSerializerContext;
