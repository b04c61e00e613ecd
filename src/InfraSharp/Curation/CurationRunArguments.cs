using System.Text.Json.Serialization;

namespace InfraSharp.Curation;

/// <summary>Which rule or measurement the next training mix follows.</summary>
public enum CurationStrategy
{
    [JsonStringEnumMemberName("flip-difficulty")]
    FlipDifficulty,

    [JsonStringEnumMemberName("influence-top")]
    InfluenceTop,

    [JsonStringEnumMemberName("attribute-influence")]
    AttributeInfluence,
}

/// <summary>A curation of a training set: strategy, mode and the strategy's settings (written beside the output).</summary>
public sealed record CurationRunArguments
{
    public required string Data { get; init; }
    public CurationStrategy Strategy { get; init; } = CurationStrategy.FlipDifficulty;
    public CurationMode Mode { get; init; } = CurationMode.Replace;

    /// <summary>flip-difficulty: direction per domain (up, down, keep).</summary>
    public DifficultyFlip Flip { get; init; } = DifficultyFlip.Infra;

    /// <summary>flip-difficulty: exponent of the level multipliers.</summary>
    public double Strength { get; init; } = 1.0;

    /// <summary>influence-top: score folder of the target queries.</summary>
    public string? Scores { get; init; }

    /// <summary>influence-top: fraction kept.</summary>
    public double Fraction { get; init; } = 0.5;

    /// <summary>attribute-influence: folder written by the analysis run.</summary>
    public string? Analysis { get; init; }

    /// <summary>influence-top (weight) and attribute-influence: larger moves less.</summary>
    public double Temperature { get; init; } = 1.0;
    public int Seed { get; init; }
}
