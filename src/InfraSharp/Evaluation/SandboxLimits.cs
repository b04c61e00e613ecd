namespace InfraSharp.Evaluation;

/// <summary>Limits for one sandboxed program run.</summary>
internal sealed record SandboxLimits
{
    public TimeSpan WallTime { get; init; } = TimeSpan.FromSeconds(10);
    public long MemoryBytes { get; init; } = 1L << 30;
    public long MaxOutputBytes { get; init; } = 1 << 20;

    /// <summary>
    /// Processes and threads the program may have at once (RLIMIT_NPROC, counted inside the sandbox's own user
    /// namespace). Only enforced under bubblewrap: outside it the limit would count every process of the user.
    /// </summary>
    public int MaxProcesses { get; init; } = 64;

    /// <summary>
    /// Run even where the bubblewrap sandbox is unavailable, with only the python-level guards and rlimits: the
    /// program can then read and write the user's files, and reach the network where <c>unshare -n</c> fails.
    /// Off by default (the sandbox then refuses with <see cref="SandboxUnavailableException"/>); the CLI's
    /// <c>--unsafe-no-sandbox</c>. With bubblewrap available the sandbox is used either way.
    /// </summary>
    public bool AllowUnsandboxed { get; init; }
}
