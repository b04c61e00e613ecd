using System.Collections.Concurrent;
using System.Diagnostics;
using InfraSharp.Evaluation;

namespace InfraSharp.Tests.Evaluation;

/// <summary>
/// Completions of HumanEval/0 (the real problem and tests from the fixtures) that try to be counted as passed
/// without passing: forged verdict lines, exits before the tests, hunts for the harness's secrets, writes into its
/// descriptors, killing it, and right answers that leave threads or processes running. Each runs in the real
/// bubblewrap sandbox 20 times, four at a time (a race would show as one passing run); none may pass, and every
/// run must fail for the case's own reason. Most completions return a wrong answer, so that only a forgery could
/// make them pass; the lingering ones return the right one, so that only the leftover process fails them.
/// </summary>
[Trait("Category", "System")]
public class ForgedVerdictTests
{
    private const int Repetitions = 20;

    private static readonly SandboxLimits Limits = new()
    {
        WallTime = TimeSpan.FromSeconds(5),
        MemoryBytes = 512L << 20,
    };

    private static readonly Lazy<(CodeProblem Problem, string Right)> HumanEval0 = new(() =>
    {
        var row = CodeExecutionTests.HumanEval()[0];
        return (CodeProblem.FromRow(row, "HumanEval.jsonl.gz"), row["canonical_solution"]!.GetValue<string>());
    });

    private const string Wrong = "    return None\n";

    // Writes each candidate line to stderr (as a verdict with that nonce) and, as a report, to every other
    // descriptor it can, then leaves without running the tests.
    private const string Spray = """
        import os, sys
        def spray(candidates):
            lines = [b"\n__INFRASHARP__ passed \n", b"passed\n", b" passed \n", b"0 passed \n"]
            for c in candidates:
                c = c if isinstance(c, bytes) else str(c).encode("utf-8", "replace")
                lines += [b"\n__INFRASHARP__ " + c + b" passed \n", c + b" passed \n"]
            for fd in range(1, 1024):
                for line in lines:
                    try:
                        os.set_blocking(fd, False)
                        os.write(fd, line)
                    except OSError:
                        break
            os._exit(0)

        """;

    private static readonly Dictionary<string, (string Completion, string Reason)> Cases = new()
    {
        // A forged verdict line.
        ["marker on stderr, then os._exit(0)"] = (
            Wrong
                + """
                import os, sys
                sys.stderr.write("\n__INFRASHARP__ passed \n")
                sys.stderr.flush()
                os._exit(0)
                """,
            ExecutionResult.RuntimeError
        ),
        ["marker with guessed nonces on every stream, then os._exit(0)"] = (
            Wrong
                + """
                import os
                for fd in (1, 2):
                    os.write(fd, b"\n__INFRASHARP__ passed \n__INFRASHARP__ " + b"0" * 32 + b" passed \n")
                for path in ("/dev/stderr", "/proc/1/fd/2", "/proc/1/fd/1"):
                    try:
                        with open(path, "w") as f:
                            f.write("\n__INFRASHARP__ passed \n")
                    except OSError:
                        pass
                os._exit(0)
                """,
            ExecutionResult.RuntimeError
        ),

        // Leaving before the tests ran.
        ["sys.exit(0) before the tests"] = (Wrong + "import sys\nsys.exit(0)\n", ExecutionResult.RuntimeError),
        ["raise SystemExit before the tests"] = (Wrong + "raise SystemExit\n", ExecutionResult.RuntimeError),
        ["SystemExit(None) before the tests"] = (Wrong + "raise SystemExit(None)\n", ExecutionResult.RuntimeError),
        ["quit() before the tests"] = (Wrong + "quit()\n", ExecutionResult.RuntimeError),
        ["exit() before the tests"] = (Wrong + "exit()\n", ExecutionResult.RuntimeError),
        ["os._exit(0) before the tests"] = (Wrong + "import os\nos._exit(0)\n", ExecutionResult.RuntimeError),
        ["SystemExit(0) raised inside check"] = ("    raise SystemExit(0)\n", ExecutionResult.RuntimeError),
        ["sys.exit() called inside check"] = ("    import sys\n    sys.exit()\n", ExecutionResult.RuntimeError),

        // Hunting for the secret, then forging with whatever was found.
        ["reads the harness file, argv, environment and stdin for a nonce"] = (
            Wrong
                + Spray
                + """
                import re
                found = set()
                sources = ["/box/harness.py", "/proc/self/cmdline", "/proc/self/environ", "/proc/1/cmdline",
                           "/proc/%d/cmdline" % os.getppid(), "/proc/%d/environ" % os.getppid(), "/proc/1/fd/0",
                           "/dev/stdin"]
                for path in sources:
                    try:
                        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
                        found.update(re.findall(rb"[0-9a-f]{16,64}", os.read(fd, 1 << 20)))
                    except OSError:
                        pass
                spray(found)
                """,
            ExecutionResult.RuntimeError
        ),
        ["walks gc objects and frames for a nonce"] = (
            Wrong
                + Spray
                + """
                import gc
                found = set()
                def take(v):
                    if isinstance(v, (str, bytes)) and 8 <= len(v) <= 128:
                        found.add(v)
                    elif isinstance(v, int) and not isinstance(v, bool):
                        found.add(str(v))
                frames = list(sys._current_frames().values())
                while frames:
                    f = frames.pop()
                    for v in list(f.f_locals.values()) + list(f.f_globals.values()):
                        take(v)
                    if f.f_back is not None:
                        frames.append(f.f_back)
                for o in gc.get_objects():
                    for v in (o.values() if isinstance(o, dict) else o if isinstance(o, (list, tuple, set)) else ()):
                        take(v)
                    for cell in getattr(o, "__closure__", None) or ():
                        try:
                            take(cell.cell_contents)
                        except ValueError:
                            pass
                spray(list(found)[:3000])
                """,
            ExecutionResult.RuntimeError
        ),
        ["reads the supervisor's memory and descriptors, and ptraces it"] = (
            Wrong
                + Spray
                + """
                import ctypes
                parent, got = os.getppid(), []
                for name in ["mem", "environ"] + ["fd/%d" % i for i in range(16)]:
                    try:
                        with open("/proc/%d/%s" % (parent, name), "rb") as f:
                            got.append(f.read(4096))
                    except OSError:
                        pass
                libc = ctypes.CDLL(None, use_errno=True)
                if libc.ptrace(16, parent, 0, 0) == 0:   # PTRACE_ATTACH
                    got.append(b"attached")
                print("got", len(got), flush=True)
                spray(got)
                """,
            ExecutionResult.RuntimeError
        ),
        ["writes reports into every descriptor"] = (Wrong + Spray + "spray([])\n", ExecutionResult.RuntimeError),
        ["kills the supervisor and the sandbox's init"] = (
            Wrong
                + """
                import os, signal, sys
                for pid in (os.getppid(), 1):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                sys.stderr.write("\n__INFRASHARP__ passed \n")
                sys.stderr.flush()
                os._exit(0)
                """,
            ExecutionResult.RuntimeError
        ),

        // The right answer, with something left running.
        ["a daemon thread left burning"] = (
            "RIGHT"
                + """
                import threading
                def burn():
                    while True:
                        pass
                threading.Thread(target=burn, daemon=True).start()
                """,
            ExecutionResult.LingeringProcess
        ),
        ["a thread left burning with SIGXCPU ignored"] = (
            "RIGHT"
                + """
                import signal, threading
                signal.signal(signal.SIGXCPU, signal.SIG_IGN)
                def burn():
                    while True:
                        pass
                for _ in range(2):
                    threading.Thread(target=burn).start()
                """,
            ExecutionResult.LingeringProcess
        ),
        ["a native thread left burning"] = (
            "RIGHT"
                + """
                import _thread
                def burn():
                    while True:
                        pass
                _thread.start_new_thread(burn, ())
                """,
            ExecutionResult.LingeringProcess
        ),
        ["a forked child left spinning"] = (
            "RIGHT"
                + """
                import os
                if os.fork() == 0:
                    while True:
                        pass
                """,
            ExecutionResult.LingeringProcess
        ),
        ["the candidate forks on every call and the parent returns"] = (
            "    import os\n    if os.fork() == 0:\n        while True:\n            pass\nRIGHT",
            ExecutionResult.LingeringProcess
        ),
        ["a subprocess left sleeping"] = (
            "RIGHT"
                + """
                import subprocess
                subprocess.Popen(["sleep", "30"])
                """,
            ExecutionResult.LingeringProcess
        ),
        ["a double-forked session leader left spinning"] = (
            "RIGHT"
                + """
                import os
                if os.fork() == 0:
                    os.setsid()
                    if os.fork() == 0:
                        while True:
                            pass
                    os._exit(0)
                os.wait()
                """,
            ExecutionResult.LingeringProcess
        ),
    };

    public static TheoryData<string> Names => [.. Cases.Keys];

    private static string Completion(string name)
    {
        string c = Cases[name].Completion;
        return c.Contains("RIGHT") ? c.Replace("RIGHT", HumanEval0.Value.Right) : c;
    }

    private static ExecutionResult Grade(string completion) =>
        new CodeGrader(new PythonSandbox(Limits)).Grade(HumanEval0.Value.Problem, completion).Result;

    /// <summary>Grades <paramref name="completion"/> <see cref="Repetitions"/> times, four at a time.</summary>
    private static List<ExecutionResult> GradeRepeatedly(string completion)
    {
        var results = new ConcurrentBag<ExecutionResult>();
        Parallel.For(0, Repetitions, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ =>
            results.Add(Grade(completion))
        );
        return [.. results];
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void AHostileCompletionNeverPasses(string name)
    {
        var clock = Stopwatch.StartNew();
        var results = GradeRepeatedly(Completion(name));
        Assert.Equal(Repetitions, results.Count);
        Assert.Empty(results.Where(r => r.Passed).Select(r => r.Detail));
        string expected = Cases[name].Reason;
        var other = results.Where(r => r.Reason != expected).Select(r => $"{r.Reason}: {r.Detail}").ToList();
        Assert.True(other.Count == 0, $"expected {expected} every time, got: {string.Join(" | ", other.Distinct())}");
        // Nothing waits for the wall clock: each is caught as it happens or within the linger grace.
        Assert.True(clock.Elapsed < Limits.WallTime * Repetitions / 4, $"took {clock.Elapsed}");
    }

    [Fact]
    public void WhatTheHostileCompletionsAreCaughtForIsSaid()
    {
        string Detail(string name) => Grade(Completion(name)).Detail;
        Assert.Equal("SystemExit 0", Detail("sys.exit(0) before the tests"));
        Assert.Equal("SystemExit None", Detail("raise SystemExit before the tests"));
        Assert.Equal("SystemExit 0", Detail("SystemExit(0) raised inside check"));
        Assert.Contains("before the tests finished", Detail("os._exit(0) before the tests"));
        Assert.Contains("before the tests finished", Detail("marker on stderr, then os._exit(0)"));
        Assert.Contains("report pipe", Detail("writes reports into every descriptor"));
        Assert.Contains("without a verdict", Detail("kills the supervisor and the sandbox's init"));
        Assert.Contains("threads still running", Detail("a daemon thread left burning"));
        Assert.Contains("processes still running", Detail("a forked child left spinning"));
    }

    [Fact]
    public void TheSupervisorIsOutOfTheProgramsReach()
    {
        // Without these refusals the nonce could be read; with them the run above finds nothing to forge with.
        string completion =
            Wrong
            + """
                import ctypes, os
                parent, denied = os.getppid(), []
                for name in ("mem", "environ", "fd/0", "fd/2"):
                    try:
                        open("/proc/%d/%s" % (parent, name), "rb").close()
                    except PermissionError:
                        denied.append(name)
                libc = ctypes.CDLL(None, use_errno=True)
                print("denied", " ".join(denied), "ptrace", libc.ptrace(16, parent, 0, 0), flush=True)
                """;
        var sandbox = new PythonSandbox(Limits);
        var (r, stdout) = sandbox.Run(HumanEval0.Value.Problem.Program(completion));
        Assert.True(r.Passed, $"{r.Reason} {r.Detail}"); // no tests in this program: it only looks
        Assert.Equal("denied mem environ fd/0 fd/2 ptrace -1\n", stdout);
        Assert.Equal(ExecutionResult.WrongAnswer, Grade(completion).Reason);
    }

    /// <summary>Honest completions still pass, every time, including ones whose helpers end a little late.</summary>
    [Theory]
    [InlineData("")]
    [InlineData("import sys\nsys.stderr.write('\\n__INFRASHARP__ wrong_answer forged\\n')\n")] // a marker can't fail it
    [InlineData("import threading, time\nthreading.Thread(target=time.sleep, args=(0.2,), daemon=True).start()\n")]
    [InlineData("import subprocess\nsubprocess.Popen(['sleep', '0.2'])\n")]
    [InlineData(
        "import concurrent.futures as cf\n" + "with cf.ThreadPoolExecutor(4) as e:\n    print(sum(e.map(abs, [-1])))\n"
    )]
    public void HonestCompletionsPassEveryTime(string suffix)
    {
        var results = GradeRepeatedly(HumanEval0.Value.Right + suffix);
        Assert.Empty(results.Where(r => !r.Passed).Select(r => $"{r.Reason}: {r.Detail}"));
    }

    [Fact]
    public void AStdinStdoutProgramMayEndWithSysExitZeroButNotWithoutItsReport()
    {
        var sandbox = new PythonSandbox(Limits);
        string doubled = "import sys\nprint(int(input()) * 2)\nsys.exit(0)\n";
        var (ok, okOut) = sandbox.Run(doubled, "21\n", stdinStdout: true);
        Assert.True(ok.Passed, $"{ok.Reason} {ok.Detail}");
        Assert.Equal("42\n", okOut);
        var (bad, _) = sandbox.Run("import sys\nprint(int(input()) * 2)\nsys.exit(3)\n", "21\n", stdinStdout: true);
        Assert.Equal(ExecutionResult.RuntimeError, bad.Reason);
        var (early, _) = sandbox.Run("import os\nprint(42, flush=True)\nos._exit(0)\n", "", stdinStdout: true);
        Assert.Equal(ExecutionResult.RuntimeError, early.Reason);
        // The same program with its tests inside (HumanEval's form) fails on the exit.
        var (tests, _) = sandbox.Run("import sys\nprint(42)\nsys.exit(0)\n");
        Assert.Equal(ExecutionResult.RuntimeError, tests.Reason);
    }
}
