using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using InfraSharp.Evaluation;

namespace InfraSharp.Tests.Evaluation;

/// <summary>
/// Hostile programs: each must fail with its own reason and leave the host as it was. Where a program tries
/// something through ctypes, that is to get beneath the harness's audit hook, so that what is tested is the
/// sandbox (mounts, namespaces, rlimits) and not the python-level guard that only classifies.
/// </summary>
public class SandboxTests
{
    private static readonly SandboxLimits Quick = new()
    {
        WallTime = TimeSpan.FromSeconds(5),
        MemoryBytes = 512L << 20,
    };

    private static PythonSandbox Sandbox(SandboxLimits? limits = null)
    {
        var sandbox = new PythonSandbox(limits ?? Quick);
        Assert.True(sandbox.IsSandboxed);
        return sandbox;
    }

    /// <summary>A Python string literal (JSON's escapes are Python's).</summary>
    private static string Py(string s) => JsonSerializer.Serialize(s);

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "InfraSharp.slnx")))
                return dir.FullName;
        throw new DirectoryNotFoundException("InfraSharp.slnx not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Host processes whose command line has <paramref name="arg"/> as one of its arguments.</summary>
    private static List<int> HostProcessesWith(string arg)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid))
                continue;
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0').Contains(arg))
                    found.Add(pid);
            }
            catch (IOException) { } // exited meanwhile
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }

    private static void AssertNoneLeft(string arg)
    {
        // The PID namespace is torn down before bwrap exits, so there is nothing to wait for; a short grace
        // only keeps a slow machine from failing the test.
        var deadline = Stopwatch.StartNew();
        while (HostProcessesWith(arg).Count > 0 && deadline.Elapsed < TimeSpan.FromSeconds(3))
            Thread.Sleep(100);
        Assert.Empty(HostProcessesWith(arg));
    }

    private static void AssertReason(string expected, ExecutionResult r) =>
        Assert.True(r.Reason == expected && !r.Passed, $"expected {expected}, got {r.Reason}: {r.Detail}");

    private static string UniqueSleep(int seconds) => $"{seconds}.{Random.Shared.Next(100_000, 1_000_000)}";

    [Fact]
    public void DeletingAFileOutsideTheSandboxFailsAndTheFileSurvives()
    {
        string canary = Path.Combine(Fixtures.TempDir(), "canary.txt");
        File.WriteAllText(canary, "alive");
        string program = $"""
            import ctypes, os
            CANARY = {Py(canary)}
            libc = ctypes.CDLL(None, use_errno=True)
            print("raw unlink", libc.unlink(CANARY.encode()), flush=True)
            print("visible", os.path.exists(CANARY), flush=True)
            os.remove(CANARY)
            """;
        var (r, stdout) = Sandbox().Run(program);
        Assert.True(File.Exists(canary));
        Assert.Equal("alive", File.ReadAllText(canary));
        Assert.Contains("raw unlink -1", stdout);
        Assert.Contains("visible False", stdout);
        AssertReason(ExecutionResult.FilesystemDenied, r);
        Assert.False(r.Passed);
    }

    [Fact]
    public void WritingIntoTheRepositoryFailsAndLeavesNoFile()
    {
        string repo = RepoRoot();
        string target = Path.Combine(repo, $"sandbox-escape-{Guid.NewGuid():N}.txt");
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        string program = $"""
            import ctypes, os
            REPO, TARGET, HOME = {Py(repo)}, {Py(target)}, {Py(home)}
            libc = ctypes.CDLL(None, use_errno=True)
            print("raw open", libc.open(TARGET.encode(), os.O_WRONLY | os.O_CREAT, 0o644), flush=True)
            print("repo visible", os.path.exists(REPO), flush=True)
            print("home visible", HOME not in ("", "/") and os.path.exists(HOME), flush=True)
            with open(TARGET, "w") as f:
                f.write("escaped")
            """;
        try
        {
            var (r, stdout) = Sandbox().Run(program);
            Assert.False(File.Exists(target));
            Assert.Contains("raw open -1", stdout);
            Assert.Contains("repo visible False", stdout);
            Assert.Contains("home visible False", stdout);
            AssertReason(ExecutionResult.FilesystemDenied, r);
        }
        finally
        {
            if (File.Exists(target))
                File.Delete(target);
        }
    }

    [Fact]
    public async Task ConnectingToAHostListenerFailsAndNothingConnects()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            string program = $"""
                import ctypes, struct, _socket, socket
                PORT = {port}
                libc = ctypes.CDLL(None, use_errno=True)
                fd = libc.socket(2, 1, 0)  # AF_INET, SOCK_STREAM
                addr = struct.pack("=H", 2) + struct.pack("!H", PORT) + bytes([127, 0, 0, 1]) + bytes(8)
                print("raw connect", libc.connect(fd, addr, len(addr)), flush=True)
                try:
                    s = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
                    s.connect(("127.0.0.1", PORT))
                    print("_socket connected", flush=True)
                except OSError as e:
                    print("_socket refused:", e, flush=True)
                socket.create_connection(("127.0.0.1", PORT), timeout=2)
                print("socket connected", flush=True)
                """;
            var (r, stdout) = Sandbox().Run(program);
            Assert.False(listener.Pending(), "the sandboxed program reached the host's listener");
            using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            bool accepted = true;
            try
            {
                using var client = await listener.AcceptTcpClientAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                accepted = false;
            }
            Assert.False(accepted, "the sandboxed program reached the host's listener");
            Assert.Contains("raw connect -1", stdout);
            Assert.Contains("_socket refused", stdout);
            Assert.DoesNotContain("connected", stdout);
            AssertReason(ExecutionResult.NetworkBlocked, r);
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public void SpawningHundredsOfChildrenHitsTheProcessLimitAndLeavesNoneBehind()
    {
        string sleep = UniqueSleep(30);
        string program = $"""
            import subprocess
            children = []
            try:
                for _ in range(500):
                    children.append(subprocess.Popen(["sleep", {Py(sleep)}]))
            finally:
                print("started", len(children), flush=True)
            """;
        var limits = Quick with { MaxProcesses = 32 };
        var (r, stdout) = Sandbox(limits).Run(program);
        AssertReason(ExecutionResult.ProcessLimit, r);
        int started = int.Parse(stdout.Trim().Split(' ')[^1]);
        Assert.InRange(started, 1, limits.MaxProcesses - 1); // the limit, not the loop, stopped it
        AssertNoneLeft(sleep);
    }

    [Fact]
    public async Task AProgramThatNeverReadsItsInputCannotHangTheCaller()
    {
        string mib = new string('x', (1 << 20) - 1) + "\n";
        var sandbox = Sandbox(Quick with { WallTime = TimeSpan.FromSeconds(2) });

        // Sleeps without reading: the 1 MiB cannot all go into the pipe, and the wall clock must still run.
        // A hang shows as a TimeoutException from WaitAsync.
        string sleeps = "import time\nprint('started', flush=True)\ntime.sleep(60)\n";
        var (slept, sleptOut) = await Task.Run(() => sandbox.Run(sleeps, mib)).WaitAsync(TimeSpan.FromSeconds(15));
        AssertReason(ExecutionResult.Timeout, slept);
        Assert.Equal("started\n", sleptOut);

        // Exits without reading: its own result, at once.
        var (quit, quitOut) = await Task.Run(() => sandbox.Run("print('done')\n", mib))
            .WaitAsync(TimeSpan.FromSeconds(15));
        Assert.True(quit.Passed, quit.Detail);
        Assert.Equal("done\n", quitOut);
    }

    /// <summary>
    /// The grandchild outlives the program: that is a failure now (a sample passes only when the whole process
    /// tree has exited), reported at once rather than at the wall clock, and the grandchild is gone.
    /// </summary>
    [Fact]
    public async Task AnOrphanedGrandchildHoldingStdoutDoesNotHoldTheCallerAndFails()
    {
        string sleep = UniqueSleep(60);
        string program = $"""
            import os
            if os.fork() == 0:
                if os.fork() == 0:
                    os.execvp("sleep", ["sleep", {Py(sleep)}])  # keeps stdout open
                os._exit(0)
            os.wait()
            print("parent done", flush=True)
            """;
        var sandbox = Sandbox();
        var clock = Stopwatch.StartNew();
        var (r, stdout) = await Task.Run(() => sandbox.Run(program))
            .WaitAsync(sandbox.Limits.WallTime + TimeSpan.FromSeconds(10));
        Assert.True(clock.Elapsed < sandbox.Limits.WallTime, $"took {clock.Elapsed}");
        AssertReason(ExecutionResult.LingeringProcess, r);
        Assert.Equal("parent done\n", stdout);
        AssertNoneLeft(sleep);
    }

    [Theory]
    [InlineData("with open('big', 'wb') as f:\n    f.write(b'x' * (32 << 20))\n")] // one file past RLIMIT_FSIZE
    [InlineData("for i in range(12):\n    with open(f'f{i}', 'wb') as f:\n        f.write(b'x' * (8 << 20))\n")]
    public void FillingTheWorkingDirectoryHitsTheDiskLimit(string program)
    {
        var (r, _) = Sandbox().Run(program);
        AssertReason(ExecutionResult.DiskLimit, r);
    }

    [Fact]
    public void WritingInTheWorkingDirectoryIsAllowed()
    {
        string program = """
            import os, tempfile
            open("here.txt", "w").write("a")
            with tempfile.NamedTemporaryFile() as f:
                f.write(b"b")
                where = os.path.dirname(f.name)
            print(open("here.txt").read(), os.getcwd(), where)
            """;
        var (r, stdout) = Sandbox().Run(program);
        Assert.True(r.Passed, $"{r.Reason} {r.Detail}");
        Assert.Equal("a /sandbox /sandbox\n", stdout);
    }

    [Theory]
    [InlineData("import multiprocessing as mp\nwith mp.Pool(4) as p:\n    print(sum(p.map(abs, range(-3, 3))))\n", "9")]
    [InlineData(
        "import concurrent.futures as cf\nwith cf.ThreadPoolExecutor(16) as e:\n"
            + "    print(sum(e.map(abs, [-4, 5])))\n",
        "9"
    )]
    [InlineData(
        "import asyncio\nasync def f():\n    await asyncio.sleep(0.01)\n    return 9\n" + "print(asyncio.run(f()))\n",
        "9"
    )]
    [InlineData("import getpass, os\nprint(len(getpass.getuser()) + len(os.path.expanduser('~')))\n", "15")]
    public void OrdinaryUsesOfProcessesThreadsAndTheEnvironmentStillWork(string program, string expected)
    {
        var (r, stdout) = Sandbox().Run(program);
        Assert.True(r.Passed, $"{r.Reason} {r.Detail}");
        Assert.Equal(expected, stdout.Trim());
    }

    [Fact]
    public void AFloodOfStderrDoesNotHideTheVerdict()
    {
        // The verdict is the harness's last stderr line; the capture keeps the tail, not the first megabyte.
        var (r, _) = Sandbox().Run("import sys\nsys.stderr.write('x' * (3 << 20))\nassert False\n");
        AssertReason(ExecutionResult.WrongAnswer, r);
    }

    [Theory]
    [InlineData(null)] // not installed
    [InlineData("/bin/false")] // installed, but fails its probe
    public void WithoutAWorkingBubblewrapItRefusesUnlessAllowed(string? bwrap)
    {
        var e = Assert.Throws<SandboxUnavailableException>(() => new PythonSandbox(Quick, bwrap));
        Assert.IsAssignableFrom<InvalidOperationException>(e); // the CLI's exit code 2
        Assert.Contains("bwrap", e.Message);
        Assert.Contains("--unsafe-no-sandbox", e.Message);
        Assert.DoesNotContain("\n", e.Message);

        var unsafeSandbox = new PythonSandbox(Quick with { AllowUnsandboxed = true }, bwrap);
        Assert.False(unsafeSandbox.IsSandboxed);
        var (r, stdout) = unsafeSandbox.Run("print(6 * 7)\n");
        Assert.True(r.Passed, $"{r.Reason} {r.Detail}");
        Assert.Equal("42\n", stdout);
    }
}
