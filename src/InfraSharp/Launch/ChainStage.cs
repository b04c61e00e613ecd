namespace InfraSharp.Launch;

/// <summary>
/// One step of a launched chain: <paramref name="Tasks"/> copies of one <c>infra</c> command line (an array when
/// more than one, each task's share taken from the scheduler by <c>--partition auto</c>), run after the step before
/// it has succeeded.
/// </summary>
internal sealed record ChainStage(string Name, int Tasks, IReadOnlyList<string> Arguments);
