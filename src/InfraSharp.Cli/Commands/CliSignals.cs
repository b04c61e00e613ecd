using System.Runtime.InteropServices;

namespace InfraSharp.Cli.Commands;

/// <summary>
/// SIGTERM, as docker stop, Kubernetes, systemd, Slurm's scancel and coreutils' timeout send it: the runs that
/// check <see cref="Terminate"/> between batches stop there; any other stops as <c>kill -9</c> would a few seconds
/// later. Either way the exit code is 143 (128 + SIGTERM) and the folder resumes: every file is renamed into place
/// whole, and a rerun removes the temporary files a stopped process left.
/// </summary>
public static class CliSignals
{
    private const int ExitCode = 143;
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(8);
    private static readonly CancellationTokenSource Source = new();
    private static PosixSignalRegistration? _registration;

    /// <summary>Cancelled when SIGTERM arrives.</summary>
    public static CancellationToken Terminate => Source.Token;

    /// <summary>Whether <paramref name="e"/> is a run stopping because SIGTERM arrived.</summary>
    public static bool Stopped(Exception e) => e is OperationCanceledException && Source.IsCancellationRequested;

    public static int StoppedExitCode => ExitCode;

    public static void Install()
    {
        if (_registration is not null || OperatingSystem.IsWindows())
            return;
        _registration = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            Console.Error.WriteLine("infra: SIGTERM: stopping; rerun the same command to resume");
            Source.Cancel();
            // A run blocked in native code or between checks is ended hard (its folder is as after kill -9).
            var hard = new Thread(() =>
            {
                Thread.Sleep(Grace);
                Console.Error.Flush();
                ExitNow(ExitCode);
            })
            {
                IsBackground = true,
                Name = "SIGTERM grace",
            };
            hard.Start();
        });
    }

    // _exit: no managed shutdown while another thread may be inside libtorch (a normal exit there can crash).
    [DllImport("libc", EntryPoint = "_exit")]
    private static extern void ExitNow(int code);
}
