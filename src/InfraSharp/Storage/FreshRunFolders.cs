using System.Collections.Concurrent;

namespace InfraSharp.Storage;

/// <summary>
/// The run folders this process started from nothing, so that a run refused on bad input after its folder was
/// prepared leaves no trace: <see cref="RollBack"/> removes each one that still holds nothing but its manifest.
/// </summary>
public static class FreshRunFolders
{
    private static readonly ConcurrentDictionary<string, bool> Started = new(StringComparer.Ordinal);

    /// <summary>Records that <paramref name="dir"/> was new (<paramref name="created"/>) or empty when prepared.</summary>
    internal static void Add(string dir, bool created) => Started[Path.GetFullPath(dir)] = created;

    /// <summary>
    /// Removes the manifest (and the folder, when this process created it) of every recorded run folder that holds
    /// nothing else: the run stopped before writing any result. Folders with results are left to resume.
    /// </summary>
    public static void RollBack()
    {
        foreach (var (dir, created) in Started)
        {
            Started.TryRemove(dir, out _);
            if (!Directory.Exists(dir)) continue;
            var files = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).ToList();
            if (files.Count != 1 || Path.GetFileName(files[0]) != RunManifest.FileName
                || Path.GetDirectoryName(files[0]) != dir) continue;
            File.Delete(files[0]);
            foreach (var d in Directory.EnumerateDirectories(dir, "*", SearchOption.AllDirectories)
                         .OrderByDescending(d => d.Length))
                if (!Directory.EnumerateFileSystemEntries(d).Any()) Directory.Delete(d);
            if (created && !Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir);
        }
    }
}
