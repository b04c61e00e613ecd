namespace InfraSharp.Cli.Commands;

/// <summary>
/// The CLI's error contract: bad input (an exception marked by <see cref="InputError"/>) is one line on stderr
/// and exit code 2; anything else is a bug, reported with its stack trace and exit code 1.
/// </summary>
public static class CliRunner
{
    /// <summary>
    /// Runs a command's body under the error contract; with <paramref name="stopOnSigterm"/>, SIGTERM stops it
    /// resumably with exit code 143 (<see cref="CliSignals"/>); a server handles its signals itself.
    /// </summary>
    public static int Run(Func<int> body, bool stopOnSigterm = true)
    {
        if (stopOnSigterm)
            CliSignals.Install();
        Storage.FreshRunFolders.Track();
        try
        {
            return body();
        }
        catch (Exception e) when (CliSignals.Stopped(e))
        {
            return CliSignals.StoppedExitCode;
        }
        catch (Exception e) when (InputError.Is(e, out var inner))
        {
            Storage.FreshRunFolders.RollBack();
            Console.Error.WriteLine($"error: {OneLine(inner.Message)}");
            return 2;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"internal error (a bug; please report it): {e}");
            return 1;
        }
    }

    /// <summary>
    /// The options every command starts its run from: stopped by SIGTERM or Ctrl-C (<see cref="CliSignals"/>),
    /// progress printed on stderr (<see cref="CliProgress"/>); commands add overwrite, device and partition.
    /// </summary>
    public static Storage.RunOptions Options =>
        new() { Cancellation = CliSignals.Token, Progress = CliProgress.Stderr };

    /// <summary>Messages from parsers can span lines; the contract is one line.</summary>
    public static string OneLine(string message) =>
        string.Join(" ", message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
