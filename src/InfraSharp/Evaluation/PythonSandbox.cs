using System.Diagnostics;
using System.Text;

namespace InfraSharp.Evaluation;

/// <summary>
/// Runs untrusted Python in a separate <c>python3</c> process per sample: a fresh temporary directory, an
/// address-space and CPU limit (setrlimit), a wall-clock limit enforced from outside (the whole process tree
/// is killed), no network (a new network namespace where <c>unshare -n</c> works, and socket creation
/// refused inside Python in any case), and a classified reason for every failure.
/// </summary>
public sealed class PythonSandbox(SandboxLimits? limits = null)
{
    public SandboxLimits Limits { get; } = limits ?? new SandboxLimits();

    private static readonly Lazy<bool> CanUnshare = new(() =>
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("unshare", "-n true") { RedirectStandardError = true, RedirectStandardOutput = true });
            if (p is null) return false;
            p.WaitForExit(5000);
            return p.HasExited && p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    });

    // The harness applies the limits, blocks sockets, runs the program and reports a classified outcome on
    // its last stderr line, so that the parent never has to guess from a traceback.
    private const string Harness = """
import sys, resource, socket, traceback
mem, cpu = int(sys.argv[2]), int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 24, 1 << 24))
class _NetworkBlocked(PermissionError):
    pass
def _blocked(*a, **k):
    raise _NetworkBlocked("network access is disabled in the sandbox")
socket.socket = _blocked
socket.create_connection = _blocked
socket.socketpair = _blocked
socket.getaddrinfo = _blocked
def _report(kind, msg):
    sys.stdout.flush()
    sys.stderr.write("\n__INFRASHARP__ " + kind + " " + msg.replace("\n", " ")[:300] + "\n")
    sys.stderr.flush()
src = open(sys.argv[1], encoding="utf-8").read()
try:
    code = compile(src, "program.py", "exec")
except (SyntaxError, ValueError) as e:
    _report("syntax_error", repr(e)); sys.exit(3)
try:
    exec(code, {"__name__": "__main__"})
except MemoryError as e:
    _report("memory_limit", "MemoryError"); sys.exit(4)
except _NetworkBlocked as e:
    _report("network_blocked", str(e)); sys.exit(5)
except AssertionError as e:
    _report("wrong_answer", "AssertionError " + str(e)); sys.exit(6)
except SystemExit as e:
    if e.code not in (None, 0):
        _report("runtime_error", "SystemExit " + str(e.code)); sys.exit(7)
except BaseException as e:
    tb = traceback.format_exception_only(type(e), e)[-1].strip()
    _report("runtime_error", tb); sys.exit(7)
_report("passed", "")
""";

    /// <summary>Runs <paramref name="program"/>; with <paramref name="stdin"/>, feeds it and returns stdout.</summary>
    public (ExecutionResult Result, string Stdout) Run(string program, string? stdin = null)
    {
        string dir = Path.Combine(Path.GetTempPath(), "infrasharp-sandbox", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "program.py"), program);
            File.WriteAllText(Path.Combine(dir, "harness.py"), Harness);
            int cpu = Math.Max(1, (int)Math.Ceiling(Limits.WallTime.TotalSeconds));
            var psi = new ProcessStartInfo
            {
                FileName = CanUnshare.Value ? "unshare" : "python3",
                WorkingDirectory = dir,
                RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
                UseShellExecute = false,
            };
            if (CanUnshare.Value) { psi.ArgumentList.Add("-n"); psi.ArgumentList.Add("python3"); }
            foreach (var a in new[] { "-I", "harness.py", "program.py", Limits.MemoryBytes.ToString(), cpu.ToString() }) psi.ArgumentList.Add(a);
            psi.Environment.Clear();
            psi.Environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
            psi.Environment["HOME"] = dir;
            psi.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
            psi.Environment["PYTHONHASHSEED"] = "0";
            using var p = Process.Start(psi)!;
            var stdout = new StringBuilder(); var stderr = new StringBuilder();
            p.OutputDataReceived += (_, e) => { if (e.Data is not null && stdout.Length < Limits.MaxOutputBytes) stdout.Append(e.Data).Append('\n'); };
            p.ErrorDataReceived += (_, e) => { if (e.Data is not null && stderr.Length < Limits.MaxOutputBytes) stderr.Append(e.Data).Append('\n'); };
            p.BeginOutputReadLine(); p.BeginErrorReadLine();
            try
            {
                if (stdin is not null) p.StandardInput.Write(stdin);
                p.StandardInput.Close();
            }
            catch (IOException) { } // the program exited before reading its input
            if (!p.WaitForExit(Limits.WallTime))
            {
                try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                p.WaitForExit();
                return (new ExecutionResult(false, ExecutionResult.Timeout, $"killed after {Limits.WallTime.TotalSeconds:F1}s"), stdout.ToString());
            }
            p.WaitForExit();
            return (Classify(p.ExitCode, stderr.ToString()), stdout.ToString());
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static ExecutionResult Classify(int exitCode, string stderr)
    {
        int at = stderr.LastIndexOf("__INFRASHARP__ ", StringComparison.Ordinal);
        if (at >= 0)
        {
            string line = stderr[(at + 15)..].Trim();
            int sp = line.IndexOf(' ');
            string kind = sp < 0 ? line : line[..sp], detail = sp < 0 ? "" : line[(sp + 1)..];
            return new ExecutionResult(kind == ExecutionResult.Ok, kind, detail);
        }
        // No report: the process died from a signal (SIGXCPU for CPU time, SIGKILL/SIGSEGV for memory).
        string tail = stderr.Length > 300 ? stderr[^300..] : stderr;
        if (exitCode == 137 || exitCode == -9 || tail.Contains("MemoryError")) return new ExecutionResult(false, ExecutionResult.MemoryLimit, tail.Trim());
        if (exitCode == 152 || exitCode == -24) return new ExecutionResult(false, ExecutionResult.Timeout, "CPU time limit");
        return new ExecutionResult(false, ExecutionResult.RuntimeError, $"exit code {exitCode}: {tail.Trim()}");
    }
}
