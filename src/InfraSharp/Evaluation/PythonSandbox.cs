using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Security.Cryptography;

namespace InfraSharp.Evaluation;

/// <summary>
/// Runs untrusted Python, one <c>python3</c> process per sample, under bubblewrap (<see cref="Bubblewrap"/>):
/// nothing of the host's files but read-only system directories, a private size-capped working directory, no
/// network, its own PID namespace (everything it started dies with it), and rlimits on address space, CPU time,
/// file size and process count. A wall-clock limit is enforced from outside, and every failure gets a reason.
/// </summary>
/// <remarks>
/// Where bubblewrap cannot run (not installed, or it fails a probe) the constructor throws
/// <see cref="SandboxUnavailableException"/>, unless <see cref="SandboxLimits.AllowUnsandboxed"/>: then the
/// program runs as before, a bare <c>python3</c> in a temporary directory (in a new network namespace where
/// <c>unshare -n</c> works), confined only by the harness's rlimits and audit hook.
/// </remarks>
internal sealed class PythonSandbox
{
    private const long MaxFileBytes = 1L << 24;

    // One probe per bwrap binary per process: it starts a real sandbox, which costs tens of milliseconds.
    private static readonly ConcurrentDictionary<string, Lazy<string?>> Probes = new();

    private readonly string? _bwrap;

    public PythonSandbox(SandboxLimits? limits = null)
        : this(limits, Bubblewrap.Find("bwrap")) { }

    /// <summary>With a given bwrap (null: none), so that tests can see the refusal on a machine that has one.</summary>
    internal PythonSandbox(SandboxLimits? limits, string? bwrap)
    {
        Limits = limits ?? new SandboxLimits();
        UnavailableReason = bwrap is null
            ? "bwrap was not found on PATH"
            : Probes.GetOrAdd(bwrap, b => new Lazy<string?>(() => Probe(b))).Value;
        if (UnavailableReason is not null && !Limits.AllowUnsandboxed)
            throw new SandboxUnavailableException(UnavailableReason);
        _bwrap = UnavailableReason is null ? bwrap : null;
    }

    public SandboxLimits Limits { get; }

    /// <summary>Why bubblewrap cannot be used here; null when programs run sandboxed.</summary>
    public string? UnavailableReason { get; }

    public bool IsSandboxed => _bwrap is not null;

    /// <summary>
    /// Runs <paramref name="program"/>; with <paramref name="stdin"/>, feeds it and returns stdout. A program whose
    /// tests are part of it fails on any <c>SystemExit</c> (the tests did not finish); a stdin/stdout program
    /// (<paramref name="stdinStdout"/>, judged by its output) may end with <c>sys.exit(0)</c>.
    /// </summary>
    public (ExecutionResult Result, string Stdout) Run(
        string program,
        string? stdin = null,
        bool stdinStdout = false
    ) => Execute(_bwrap, Limits, program, stdin, stdinStdout);

    private static (ExecutionResult Result, string Stdout) Execute(
        string? bwrap,
        SandboxLimits limits,
        string program,
        string? stdin,
        bool stdinStdout
    )
    {
        // The verdict is accepted only with this run's nonce, which reaches the harness's supervisor and never the
        // program (see SandboxHarness).
        string nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var box = Directory.CreateTempSubdirectory("infrasharp-sandbox-");
        try
        {
            string programFile = Path.Combine(box.FullName, "program.py");
            string harnessFile = Path.Combine(box.FullName, "harness.py");
            File.WriteAllText(programFile, program);
            File.WriteAllText(harnessFile, SandboxHarness.Source);
            int cpu = Math.Max(1, (int)Math.Ceiling(limits.WallTime.TotalSeconds));
            ProcessStartInfo psi;
            if (bwrap is not null)
            {
                if (Bubblewrap.DropsRoot)
                    ShareWithNobody(box.FullName, programFile, harnessFile);
                string inside = Bubblewrap.BoxDir;
                psi = Bubblewrap.StartInfo(
                    bwrap,
                    box.FullName,
                    Harness(
                        Path.Combine(inside, "harness.py"),
                        Path.Combine(inside, "program.py"),
                        limits,
                        cpu,
                        limits.MaxProcesses,
                        Bubblewrap.Writable,
                        stdinStdout
                    )
                );
            }
            else
                psi = Unsandboxed(box.FullName, harnessFile, programFile, limits, cpu, stdinStdout);

            var run = BoundedProcess.Run(psi, nonce + "\n" + stdin, limits.WallTime, limits.MaxOutputBytes);
            if (run.TimedOut)
            {
                var killed = $"killed after {limits.WallTime.TotalSeconds:F1}s";
                return (new ExecutionResult(false, ExecutionResult.Timeout, killed), run.Stdout);
            }
            return (Classify(run.ExitCode, run.Stderr, nonce), run.Stdout);
        }
        finally
        {
            try
            {
                box.Delete(recursive: true);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    private static List<string> Harness(
        string harness,
        string program,
        SandboxLimits limits,
        int cpu,
        int nproc,
        IEnumerable<string> writable,
        bool stdinStdout
    ) =>
        [
            "python3",
            "-I",
            harness,
            program,
            limits.MemoryBytes.ToString(),
            cpu.ToString(),
            nproc.ToString(),
            MaxFileBytes.ToString(),
            string.Join(':', writable),
            stdinStdout ? "1" : "0",
        ];

    // The old, unconfined path. No RLIMIT_NPROC: outside a user namespace it would count all the user's processes.
    private static ProcessStartInfo Unsandboxed(
        string dir,
        string harness,
        string program,
        SandboxLimits limits,
        int cpu,
        bool stdinStdout
    )
    {
        var psi = new ProcessStartInfo { WorkingDirectory = dir, UseShellExecute = false };
        var command = Harness(
            harness,
            program,
            limits,
            cpu,
            nproc: 0,
            [dir, "/tmp", "/dev/null", "/dev/shm"],
            stdinStdout
        );
        if (CanUnshare.Value)
            command.InsertRange(0, ["unshare", "-n"]);
        psi.FileName = command[0];
        foreach (var a in command.Skip(1))
            psi.ArgumentList.Add(a);
        psi.Environment.Clear();
        psi.Environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
        psi.Environment["HOME"] = dir;
        psi.Environment["TMPDIR"] = dir;
        psi.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        psi.Environment["PYTHONHASHSEED"] = "0";
        return psi;
    }

    private static readonly Lazy<bool> CanUnshare = new(() =>
    {
        try
        {
            var psi = new ProcessStartInfo("unshare", "-n true");
            var r = BoundedProcess.Run(psi, null, TimeSpan.FromSeconds(5), 4096);
            return !r.TimedOut && r.ExitCode == 0;
        }
        catch (Win32Exception)
        {
            return false;
        }
    });

    // bwrap runs as nobody when we are root; the temporary folder is created private to us.
    private static void ShareWithNobody(string dir, params string[] files)
    {
        if (OperatingSystem.IsWindows())
            return; // no bwrap there anyway
        const UnixFileMode read = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        const UnixFileMode exec = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        File.SetUnixFileMode(dir, read | exec | UnixFileMode.UserWrite);
        foreach (var f in files)
            File.SetUnixFileMode(f, read | UnixFileMode.UserWrite);
    }

    /// <summary>Null when a trivial program runs and passes under <paramref name="bwrap"/>, else why not.</summary>
    private static string? Probe(string bwrap)
    {
        var limits = new SandboxLimits { WallTime = TimeSpan.FromSeconds(30), MemoryBytes = 512L << 20 };
        try
        {
            var (r, stdout) = Execute(bwrap, limits, "import sys\nsys.stdout.write('ok')\n", null, false);
            if (r.Passed && stdout == "ok")
                return null;
            string detail = r.Detail.ReplaceLineEndings(" ");
            return $"{bwrap} failed a probe run: {r.Reason} {(detail.Length > 200 ? detail[..200] : detail)}".Trim();
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException or IOException)
        {
            return $"{bwrap} could not be started: {e.Message.ReplaceLineEndings(" ")}";
        }
    }

    /// <summary>
    /// The verdict from the harness's line that carries <paramref name="nonce"/>; any other marker line is the
    /// program's and means nothing. "passed" counts only with exit code 0: the supervisor exits so only after
    /// the program and everything it started have ended.
    /// </summary>
    private static ExecutionResult Classify(int exitCode, string stderr, string nonce)
    {
        string marker = "__INFRASHARP__ " + nonce + " ";
        int at = stderr.LastIndexOf(marker, StringComparison.Ordinal);
        if (at >= 0)
        {
            string line = stderr[(at + marker.Length)..];
            int end = line.IndexOf('\n');
            line = (end < 0 ? line : line[..end]).Trim();
            int sp = line.IndexOf(' ');
            string kind = sp < 0 ? line : line[..sp],
                detail = sp < 0 ? "" : line[(sp + 1)..];
            if (kind == ExecutionResult.Ok && exitCode != 0)
                return new ExecutionResult(false, ExecutionResult.RuntimeError, $"exit code {exitCode} after passing");
            return new ExecutionResult(kind == ExecutionResult.Ok, kind, detail);
        }
        // No verdict: bwrap itself failed before python ran, or the supervisor was killed (it has no rlimits, so
        // by the program, the only other process that may signal it); every way the program itself can end, a
        // signal or the memory limit included, the supervisor reports.
        string tail = (stderr.Length > 300 ? stderr[^300..] : stderr).Trim();
        if (
            tail.StartsWith("bwrap:", StringComparison.Ordinal)
            || tail.Contains("\nbwrap:", StringComparison.Ordinal)
            || tail.StartsWith("setpriv:", StringComparison.Ordinal)
        )
            return new ExecutionResult(false, ExecutionResult.SandboxError, tail);
        return new ExecutionResult(
            false,
            ExecutionResult.RuntimeError,
            $"the harness ended without a verdict (exit code {exitCode}): {tail}".Trim().TrimEnd(':')
        );
    }
}
