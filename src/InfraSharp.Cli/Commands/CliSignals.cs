using System.Runtime.InteropServices;

namespace InfraSharp.Cli.Commands;

/// <summary>
/// SIGTERM (as docker stop, Kubernetes, systemd, Slurm's scancel and coreutils' timeout send it) and Ctrl-C
/// (SIGINT) cancel <see cref="Token"/>, which every command passes to its run in <see cref="Storage.RunOptions"/>:
/// runs stop at their next check between batches, chunks or shards; any other stops as <c>kill -9</c> would a few
/// seconds later. Either way the exit code is 128 + the signal (143 for SIGTERM, 130 for Ctrl-C) and the folder
/// resumes: every file is renamed into place whole, and a rerun removes the temporary files a stopped process left.
/// </summary>
public static class CliSignals
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(8);
    private static readonly CancellationTokenSource Source = new();
    private static readonly List<PosixSignalRegistration> Registrations = [];
    private static int _exitCode = 143;

    /// <summary>Cancelled when SIGTERM or Ctrl-C arrives.</summary>
    public static CancellationToken Token => Source.Token;

    /// <summary>Whether <paramref name="e"/> is a run stopping because a signal arrived.</summary>
    public static bool Stopped(Exception e) => e is OperationCanceledException && Source.IsCancellationRequested;

    /// <summary>128 + the signal that stopped the run.</summary>
    public static int StoppedExitCode => _exitCode;

    public static void Install()
    {
        lock (Registrations)
        {
            if (Registrations.Count > 0 || OperatingSystem.IsWindows())
                return;
            Registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Stop(c, "SIGTERM", 143)));
            Registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, c => Stop(c, "Ctrl-C", 130)));
        }
    }

    private static void Stop(PosixSignalContext c, string name, int exitCode)
    {
        c.Cancel = true;
        if (Source.IsCancellationRequested)
            return;
        _exitCode = exitCode;
        Console.Error.WriteLine($"infra: {name}: stopping; rerun the same command to resume");
        Source.Cancel();
        // A run blocked in native code or between checks is ended hard (its folder is as after kill -9).
        var hard = new Thread(() =>
        {
            Thread.Sleep(Grace);
            Console.Error.Flush();
            ExitNow(exitCode);
        })
        {
            IsBackground = true,
            Name = name + " grace",
        };
        hard.Start();
    }

    // _exit: no managed shutdown while another thread may be inside libtorch (a normal exit there can crash).
    [DllImport("libc", EntryPoint = "_exit")]
    private static extern void ExitNow(int code);
}
