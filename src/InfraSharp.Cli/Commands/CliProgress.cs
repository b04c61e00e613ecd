namespace InfraSharp.Cli.Commands;

/// <summary>Where every command's runs report: timestamped lines on the current stderr.</summary>
public static class CliProgress
{
    /// <summary>The reporter every command passes to its runs (<see cref="CliRunner.Options"/>).</summary>
    public static ProgressPrinter Stderr { get; } = new(() => Console.Error);

    /// <summary>A note of the CLI's own (not a run's), in the same format.</summary>
    public static void Line(string message) => Stderr.Report(RunProgress.Note(message));
}
