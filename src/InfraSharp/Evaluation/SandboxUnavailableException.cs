namespace InfraSharp.Evaluation;

/// <summary>
/// The bubblewrap sandbox cannot run here, and the caller did not opt into running untrusted code without it
/// (<see cref="SandboxLimits.AllowUnsandboxed"/>). An <see cref="InvalidOperationException"/>, so that the CLI
/// reports it as one line with exit code 2.
/// </summary>
public sealed class SandboxUnavailableException(string reason) : InvalidOperationException(
    $"refusing to run untrusted code: the bubblewrap sandbox (bwrap) is unavailable ({reason}); install "
    + "bubblewrap, or pass --unsafe-no-sandbox to run it without isolation")
{
    public string Reason { get; } = reason;
}
