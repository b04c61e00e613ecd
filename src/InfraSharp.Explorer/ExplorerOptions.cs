namespace InfraSharp.Explorer;

/// <summary>
/// What <c>infra explore</c> serves and where: the score folder with its data, and the optional scoring inputs.
/// </summary>
public sealed record ExplorerOptions
{
    public required string Scores { get; init; }
    public required string Train { get; init; }
    public required string Queries { get; init; }

    /// <summary>
    /// An analysis folder (attribute tables with CIs); by default <c>analysis</c> beside the score folder, if there.
    /// </summary>
    public string? Analysis { get; init; }

    /// <summary>Model folder; by default the one the scores were computed with.</summary>
    public string? Model { get; init; }
    public string? Factors { get; init; }
    public string? Index { get; init; }

    /// <summary>Address to bind; anything but loopback needs the access token on every request.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>0: any free port.</summary>
    public int Port { get; init; } = 5080;

    public bool IsLoopback => Host is "127.0.0.1" or "localhost" or "::1";
}
