namespace InfraSharp.Models;

/// <summary>How to decode: greedy, or temperature / top-p sampling from a seeded generator.</summary>
public sealed record GenerationOptions
{
    public int MaxNewTokens { get; init; } = 256;
    public bool Greedy { get; init; } = true;
    public double Temperature { get; init; } = 1.0;
    public double TopP { get; init; } = 1.0;
    public long Seed { get; init; }

    /// <summary>Reuse keys and values of past positions; off recomputes the whole prefix every step.</summary>
    public bool UseCache { get; init; } = true;

    /// <summary>Generation stops after any of these (the stop token is kept in the output).</summary>
    public IReadOnlyCollection<int> StopTokenIds { get; init; } = [];
    public int PadTokenId { get; init; }
}
