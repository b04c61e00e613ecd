namespace InfraSharp.Explorer;

/// <summary>
/// What <c>infra explore</c> serves and where: the score folder with its data, and the optional scoring inputs.
/// </summary>
public sealed record ExplorerOptions
{
    /// <summary>The pairwise score folder explored.</summary>
    public required string Scores { get; init; }

    /// <summary>The training rows the scores are of.</summary>
    public required string Train { get; init; }

    /// <summary>The query rows the scores are of.</summary>
    public required string Queries { get; init; }

    /// <summary>
    /// An analysis folder (attribute tables with CIs); by default <c>analysis</c> beside the score folder, if there.
    /// </summary>
    public string? Analysis { get; init; }

    /// <summary>Model folder; by default the one the scores were computed with.</summary>
    public string? Model { get; init; }

    /// <summary>
    /// A factor folder that lets the page score a new answer against the training rows; null: no new-answer scoring
    /// (unless <see cref="Index"/>).
    /// </summary>
    public string? Factors { get; init; }

    /// <summary>A gradient index used (before <see cref="Factors"/>) to score a new answer; null: none.</summary>
    public string? Index { get; init; }

    /// <summary>Address to bind; anything but loopback needs the access token on every request.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>0: any free port.</summary>
    public int Port { get; init; } = 5080;

    /// <summary>Whether <see cref="Host"/> is a loopback address (no access token needed).</summary>
    public bool IsLoopback => Host is "127.0.0.1" or "localhost" or "::1";
}
