namespace InfraSharp.Evaluation;

/// <summary>How a <see cref="BoundedProcess"/> run ended (ExitCode -1: still not gone after the kill).</summary>
internal sealed record ProcessOutcome(bool TimedOut, int ExitCode, string Stdout, string Stderr);
