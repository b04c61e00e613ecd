namespace InfraSharp.Cli.Commands;

/// <summary>
/// The CLI's error contract: bad input (an <see cref="IInputError"/>) is one line on stderr and exit code 2, with
/// the arguments it names written as the command's flags; anything else is a bug, reported with its stack trace
/// and exit code 1.
/// </summary>
public static class CliRunner
{
    /// <summary>
    /// Runs a command's body under the error contract; with <paramref name="stopOnSigterm"/>, SIGTERM stops it
    /// resumably with exit code 143 (<see cref="CliSignals"/>); a server handles its signals itself.
    /// <paramref name="flags"/> maps the arguments-record paths of the command's records to its flags
    /// (<see cref="ArgumentPath"/>), so that a message from a record's validation names what the user typed.
    /// </summary>
    public static int Run(Func<int> body, bool stopOnSigterm = true, IReadOnlyDictionary<string, string>? flags = null)
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
            string message = inner is IInputError input ? Render(input, flags) : inner.Message;
            Console.Error.WriteLine($"error: {OneLine(message)}");
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

    /// <summary>The message of <paramref name="e"/> with every argument path it names written as its flag.</summary>
    public static string Render(IInputError e, IReadOnlyDictionary<string, string>? flags) =>
        e.Render(path => flags?.GetValueOrDefault(path));

    /// <summary>Messages from parsers can span lines; the contract is one line.</summary>
    public static string OneLine(string message) =>
        string.Join(" ", message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
