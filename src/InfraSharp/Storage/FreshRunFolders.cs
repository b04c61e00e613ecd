using System.Collections.Concurrent;

namespace InfraSharp.Storage;

/// <summary>
/// The run folders this process started from nothing, so that a run refused on bad input after its folder was
/// prepared leaves no trace: <see cref="RollBack"/> removes what the run wrote there (only files its kind writes;
/// anything else present keeps the folder as it is).
/// </summary>
public static class FreshRunFolders
{
    // Per invocation (an async flow), so that a command refused in one flow never touches the folders of an
    // earlier or concurrent command of the same process. Null: nothing is tracked (library callers).
    private static readonly AsyncLocal<ConcurrentDictionary<string, (bool Created, OwnedFiles Owned)>?> Started = new();

    /// <summary>Starts tracking the run folders prepared from here on in this flow (the CLI, per command).</summary>
    public static void Track() => Started.Value = new(StringComparer.Ordinal);

    /// <summary>Records that <paramref name="dir"/> was new (<paramref name="created"/>) or empty.</summary>
    internal static void Add(string dir, bool created, OwnedFiles owned)
    {
        if (Started.Value is { } started)
            started[Path.GetFullPath(dir)] = (created, owned);
    }

    /// <summary>
    /// Removes what the run wrote into each recorded folder (the folder too, when this process created it), unless a
    /// file its kind does not write is there. Called by the CLI when a run is refused on bad input.
    /// </summary>
    public static void RollBack()
    {
        if (Started.Value is not { } started)
            return;
        foreach (var (dir, (created, owned)) in started)
        {
            started.TryRemove(dir, out _);
            if (!Directory.Exists(dir))
                continue;
            var files = Directory
                .EnumerateFiles(dir, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(dir, f).Replace('\\', '/'))
                .ToList();
            if (!files.All(owned.Owns))
                continue;
            foreach (var f in files)
                File.Delete(Path.Combine(dir, f));
            foreach (
                var d in Directory
                    .EnumerateDirectories(dir, "*", SearchOption.AllDirectories)
                    .OrderByDescending(d => d.Length)
            )
                if (!Directory.EnumerateFileSystemEntries(d).Any())
                    Directory.Delete(d);
            if (created && !Directory.EnumerateFileSystemEntries(dir).Any())
                Directory.Delete(dir);
        }
    }
}
