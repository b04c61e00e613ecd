namespace InfraSharp.Storage;

/// <summary>
/// Every artifact is written beside its final name and renamed into place, so a reader (or a resumed run)
/// never sees a half-written file: either the old content, or the complete new one.
/// </summary>
internal static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string tmp = TemporaryName(full);
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp))
                File.Delete(tmp);
        }
    }

    /// <summary>
    /// A fresh temporary name beside <paramref name="final"/>: <c>FINAL.tmp-PID-GUID-HOST</c>. The process id and
    /// host say whose it is, so that a later run can tell a file abandoned by a killed process (same host, process
    /// gone) from one a live task on this or another node is still writing.
    /// </summary>
    public static string TemporaryName(string final) =>
        $"{final}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}-{Environment.MachineName}";

    private static readonly System.Text.RegularExpressions.Regex Temporary = new(
        @"^(?<final>.+)\.tmp-(?<pid>\d+)-[0-9a-f]{32}(-(?<host>[^/]+))?$",
        System.Text.RegularExpressions.RegexOptions.CultureInvariant
    );

    /// <summary>The final name a temporary path stands for, or null when it is no temporary name.</summary>
    public static string? TemporaryTarget(string path)
    {
        var m = Temporary.Match(path);
        return m.Success ? m.Groups["final"].Value : null;
    }

    /// <summary>
    /// Whether <paramref name="path"/> is a temporary name of a process on this host that no longer runs (killed
    /// mid-write; names without a host are from before hosts were recorded and count as this host's).
    /// </summary>
    public static bool IsAbandoned(string path)
    {
        var m = Temporary.Match(Path.GetFileName(Path.TrimEndingDirectorySeparator(path)));
        if (!m.Success)
            return false;
        if (m.Groups["host"].Success && m.Groups["host"].Value != Environment.MachineName)
            return false;
        int pid = int.Parse(m.Groups["pid"].Value, System.Globalization.CultureInfo.InvariantCulture);
        if (pid == Environment.ProcessId)
            return false;
        if (OperatingSystem.IsLinux())
            return !Directory.Exists($"/proc/{pid}");
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return p.HasExited;
        }
        catch (ArgumentException)
        {
            return true;
        }
    }

    /// <summary>
    /// Removes the temporary files and folders directly inside <paramref name="dir"/> (and below it, with
    /// <paramref name="recursive"/>) that killed processes of this host left behind and <paramref name="owned"/>
    /// accepts (given the path relative to <paramref name="dir"/>).
    /// </summary>
    public static int RemoveAbandoned(string dir, Func<string, bool> owned, bool recursive = true)
    {
        if (!Directory.Exists(dir))
            return 0;
        int removed = 0;
        var option = recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly;
        foreach (var entry in Directory.EnumerateFileSystemEntries(dir, "*.tmp-*", option).ToList())
        {
            if (!File.Exists(entry) && !Directory.Exists(entry))
                continue; // inside a folder removed just before
            string rel = Path.GetRelativePath(dir, entry).Replace('\\', '/') + (Directory.Exists(entry) ? "/" : "");
            if (!IsAbandoned(entry) || !owned(rel))
                continue;
            try
            {
                if (Directory.Exists(entry))
                    Directory.Delete(entry, recursive: true);
                else
                    File.Delete(entry);
                removed++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return removed;
    }

    public static void WriteAllText(string path, string text) => Write(path, s =>
        {
            var b = new System.Text.UTF8Encoding(false).GetBytes(text);
            s.Write(b);
        });

    public static void WriteAllLines(string path, IEnumerable<string> lines) => Write(path, s =>
        {
            using var w = new StreamWriter(s, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true)
            {
                NewLine = "\n",
            };
            foreach (var l in lines)
                w.WriteLine(l);
        });
}
