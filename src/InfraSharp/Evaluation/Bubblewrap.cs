using System.Diagnostics;

namespace InfraSharp.Evaluation;

/// <summary>
/// The bubblewrap (<c>bwrap</c>) command line that confines one program: read-only system directories, the
/// program's folder read-only at <see cref="BoxDir"/>, a private size-capped tmpfs as its working directory,
/// nothing else of the host's filesystem; new user, PID, network, IPC, UTS and cgroup namespaces; a new
/// session; and the whole sandbox killed when its PID namespace's init or our process goes away.
/// </summary>
internal static class Bubblewrap
{
    /// <summary>Where the program's folder (harness and program) appears, read-only.</summary>
    public const string BoxDir = "/box";

    /// <summary>The private writable working directory (also <c>HOME</c> and <c>TMPDIR</c>).</summary>
    public const string WorkDir = "/sandbox";

    /// <summary>
    /// Paths the program may write to: its working directory and a few devices. There is no /tmp (tempfile
    /// follows TMPDIR): a path the host has, the program must not mistake for its own, so that deleting or
    /// writing a host path is refused as such rather than quietly landing in the sandbox.
    /// </summary>
    public static readonly string[] Writable =
    [
        WorkDir,
        "/dev/shm",
        "/dev/null",
        "/dev/stdout",
        "/dev/stderr",
        "/dev/fd",
    ];

    // tmpfs sizes: room for scratch files, small enough that parallel runs cannot eat the host's memory.
    private const long WorkBytes = 64L << 20,
        ShmBytes = 16L << 20;

    // The kernel does not enforce RLIMIT_NPROC for a real uid of 0, and bwrap started by root maps the sandbox's
    // uid back onto root; so as root we drop to nobody before bwrap runs. Its own user namespace then counts
    // the sandbox's processes from zero, apart from every other process of that uid.
    private const string NobodyId = "65534";

    // Besides /usr, what python3 and the dynamic loader read from /etc; the rest of /etc stays out of sight.
    private static readonly string[] EtcFiles =
    [
        "/etc/ld.so.cache",
        "/etc/ld.so.conf",
        "/etc/ld.so.conf.d",
        "/etc/localtime",
        "/etc/alternatives",
    ];

    /// <summary>bwrap is started as nobody (we run as root), so the program's folder must be world-readable.</summary>
    public static bool DropsRoot => Environment.IsPrivilegedProcess;

    /// <summary>The full path of an executable on PATH, or null.</summary>
    public static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name))
            .FirstOrDefault(File.Exists);

    /// <summary>A start for <paramref name="command"/> (a program and its arguments) under bwrap.</summary>
    public static ProcessStartInfo StartInfo(string bwrap, string hostBox, IEnumerable<string> command)
    {
        var psi = new ProcessStartInfo { UseShellExecute = false };
        var args = psi.ArgumentList;
        if (DropsRoot)
        {
            psi.FileName = Find("setpriv")
                ?? throw InputError.Invalid("setpriv (util-linux) is needed to drop root before bwrap");
            foreach (var a in new[] { $"--reuid={NobodyId}", $"--regid={NobodyId}", "--clear-groups", "--", bwrap })
                args.Add(a);
        }
        else
            psi.FileName = bwrap;
        void Add(params string[] a)
        {
            foreach (var x in a)
                args.Add(x);
        }

        // --unshare-user is implied by --unshare-all where possible, but --disable-userns needs it said.
        Add("--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session");
        Add("--hostname", "sandbox");
        Add("--ro-bind", "/usr", "/usr");
        foreach (var top in new[] { "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32" })
        {
            // Merged-/usr systems have these as links into /usr; elsewhere they are directories of their own.
            var info = new FileInfo(top);
            if (info.LinkTarget is string target)
                Add("--symlink", target, top);
            else if (Directory.Exists(top))
                Add("--ro-bind", top, top);
        }
        foreach (var etc in EtcFiles)
            Add("--ro-bind-try", etc, etc);
        Add("--proc", "/proc", "--dev", "/dev");
        Add("--size", ShmBytes.ToString(), "--tmpfs", "/dev/shm");
        Add("--ro-bind", hostBox, BoxDir);
        Add("--size", WorkBytes.ToString(), "--tmpfs", WorkDir, "--chdir", WorkDir);
        // bwrap's root and /dev are tmpfs without a size cap: read-only, so the only writable space is capped.
        Add("--remount-ro", "/dev", "--remount-ro", "/");
        Add("--clearenv", "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin", "--setenv", "HOME", WorkDir);
        Add("--setenv", "TMPDIR", WorkDir, "--setenv", "LANG", "C.UTF-8");
        // No /etc/passwd inside; getpass.getuser() reads these first.
        Add("--setenv", "USER", "sandbox", "--setenv", "LOGNAME", "sandbox");
        Add("--setenv", "PYTHONDONTWRITEBYTECODE", "1", "--setenv", "PYTHONHASHSEED", "0");
        Add("--");
        foreach (var a in command)
            args.Add(a);
        psi.Environment.Clear();
        return psi;
    }
}
