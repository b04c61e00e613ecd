using System.Security.Cryptography;

namespace InfraSharp.Tests.Storage;

/// <summary>
/// Every file (by SHA-256) and folder under a path, so that a test can assert that a run removed, changed or added
/// nothing there: a path that does not exist, an empty folder and a folder with files all snapshot differently.
/// </summary>
public static class FolderSnapshot
{
    public static SortedDictionary<string, string> Of(string path)
    {
        var s = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (File.Exists(path))
            s[""] = Hash(path);
        else if (Directory.Exists(path))
        {
            s["/"] = "folder";
            foreach (var d in Directory.GetDirectories(path, "*", SearchOption.AllDirectories))
                s[Path.GetRelativePath(path, d) + "/"] = "folder";
            foreach (var f in Directory.GetFiles(path, "*", SearchOption.AllDirectories))
                s[Path.GetRelativePath(path, f)] = Hash(f);
        }
        return s;
    }

    /// <summary>What differs between two snapshots, for an assertion message (empty when they are equal).</summary>
    public static string Diff(SortedDictionary<string, string> before, SortedDictionary<string, string> after)
    {
        var removed = before.Keys.Except(after.Keys).Select(k => "removed " + k);
        var added = after.Keys.Except(before.Keys).Select(k => "added " + k);
        var changed = before.Keys.Intersect(after.Keys).Where(k => before[k] != after[k]).Select(k => "changed " + k);
        return string.Join(", ", removed.Concat(added).Concat(changed));
    }

    private static string Hash(string file) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file)));
}
