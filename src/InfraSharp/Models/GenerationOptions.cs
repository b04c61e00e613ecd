namespace InfraSharp.Models;

/// <summary>How to decode: greedy, or temperature / top-p sampling from a seeded generator.</summary>
public sealed record GenerationOptions
{
    /// <summary>Most tokens generated after the prompt.</summary>
    public int MaxNewTokens { get; init; } = 256;

    /// <summary>Take the most likely token each step (ignoring temperature and top-p).</summary>
    public bool Greedy { get; init; } = true;

    /// <summary>Sampling temperature (logits divided by it).</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Nucleus sampling: sample from the smallest token set whose probability reaches this (1: all).</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>Seed of the sampling generator.</summary>
    public long Seed { get; init; }

    /// <summary>Reuse keys and values of past positions; off recomputes the whole prefix every step.</summary>
    public bool UseCache { get; init; } = true;

    /// <summary>Generation stops after any of these (the stop token is kept in the output).</summary>
    public IReadOnlyCollection<int> StopTokenIds { get; init; } = [];

    /// <summary>Token id that pads prompts (left) and finished sequences.</summary>
    public int PadTokenId { get; init; }
}
