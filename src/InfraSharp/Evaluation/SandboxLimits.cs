namespace InfraSharp.Evaluation;

/// <summary>Limits for one sandboxed program run.</summary>
public sealed record SandboxLimits
{
    public TimeSpan WallTime { get; init; } = TimeSpan.FromSeconds(10);
    public long MemoryBytes { get; init; } = 1L << 30;
    public long MaxOutputBytes { get; init; } = 1 << 20;
}
