using System.Collections.Concurrent;

namespace InfraSharp.Storage;

/// <summary>
/// The run folders this process started from nothing, so that a run refused on bad input after its folder was
/// prepared leaves no trace: <see cref="RollBack"/> removes what the run wrote there (only files its kind writes;
/// anything else present keeps the folder as it is).
/// </summary>
public static class FreshRunFolders
{
    private static readonly ConcurrentDictionary<string, (bool Created, OwnedFiles Owned)> Started =
        new(StringComparer.Ordinal);

    /// <summary>Records that <paramref name="dir"/> was new (<paramref name="created"/>) or empty.</summary>
    internal static void Add(string dir, bool created, OwnedFiles owned) =>
        Started[Path.GetFullPath(dir)] = (created, owned);

    /// <summary>
    /// Removes what the run wrote into each recorded folder (the folder too, when this process created it), unless a
    /// file its kind does not write is there. Called by the CLI when a run is refused on bad input.
    /// </summary>
    public static void RollBack()
    {
        foreach (var (dir, (created, owned)) in Started)
        {
            Started.TryRemove(dir, out _);
            if (!Directory.Exists(dir)) continue;
            var files = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(dir, f).Replace('\\', '/')).ToList();
            if (!files.All(owned.Owns)) continue;
            foreach (var f in files) File.Delete(Path.Combine(dir, f));
            foreach (var d in Directory.EnumerateDirectories(dir, "*", SearchOption.AllDirectories)
                         .OrderByDescending(d => d.Length))
                if (!Directory.EnumerateFileSystemEntries(d).Any()) Directory.Delete(d);
            if (created && !Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir);
        }
    }
}
