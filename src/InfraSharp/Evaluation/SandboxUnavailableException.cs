namespace InfraSharp.Evaluation;

/// <summary>
/// The bubblewrap sandbox cannot run here, and the caller did not opt into running untrusted code without it
/// (<see cref="SandboxLimits.AllowUnsandboxed"/>). Bad input (the machine's setup is the user's to fix),
/// so that the CLI reports it as one line with exit code 2.
/// </summary>
public sealed class SandboxUnavailableException : InvalidOperationException, IInputError
{
    /// <summary>The sandbox is unavailable for <paramref name="reason"/>; the message says how to fix it.</summary>
    public SandboxUnavailableException(string reason)
        : base(
            $"refusing to run untrusted code: the bubblewrap sandbox (bwrap) is unavailable ({reason}); install "
                + "bubblewrap, or pass --unsafe-no-sandbox to run it without isolation"
        )
    {
        Reason = reason;
    }

    /// <summary>Why the sandbox cannot run (e.g. bwrap missing, user namespaces disabled).</summary>
    public string Reason { get; }
}
