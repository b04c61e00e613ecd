using System.Text.RegularExpressions;

namespace InfraSharp.Storage;

/// <summary>
/// The files a run kind writes into its folder, as patterns over paths relative to it (<c>/</c>-separated):
/// <c>*</c> matches within one path segment, <c>**</c> any number of segments. <c>--overwrite</c> removes only
/// files these match, so a file a user put into a run folder is never deleted; it makes the run refuse instead.
/// </summary>
public sealed class OwnedFiles
{
    /// <summary>What every run folder holds besides its kind's outputs: manifest, write probes, locks.</summary>
    public static readonly string[] Common = [RunManifest.FileName, ".write-probe-*", "*.lock", ".*.lock"];

    private readonly Regex[] _patterns;

    /// <summary>
    /// The patterns of a run kind (relative, <c>/</c>-separated), to which <see cref="Common"/> is added.
    /// </summary>
    public OwnedFiles(IEnumerable<string> patterns)
    {
        Patterns = [.. Common.Concat(patterns).Distinct(StringComparer.Ordinal)];
        _patterns = [.. Patterns.Select(ToRegex)];
    }

    /// <summary>The patterns, the common ones included (what a manifest records under <c>owns</c>).</summary>
    public IReadOnlyList<string> Patterns { get; }

    /// <summary>
    /// Whether the run kind writes <paramref name="relativePath"/> (a folder ends with <c>/</c>). A temporary name
    /// (<c>NAME.tmp-…</c>, file or folder, at any depth) counts as the NAME it is written for.
    /// </summary>
    public bool Owns(string relativePath)
    {
        var parts = relativePath.Replace('\\', '/').Split('/');
        for (int i = 0; i < parts.Length; i++)
            if (AtomicFile.TemporaryTarget(parts[i]) is string target)
                parts[i] = target;
        string p = string.Join('/', parts);
        return _patterns.Any(r => r.IsMatch(p));
    }

    private static Regex ToRegex(string pattern)
    {
        var sb = new System.Text.StringBuilder("^");
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            if (c == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
            {
                sb.Append(".*");
                i++;
                if (i + 1 < pattern.Length && pattern[i + 1] == '/')
                    i++;
            }
            else if (c == '*')
                sb.Append("[^/]*");
            else
                sb.Append(Regex.Escape(c.ToString()));
        }
        return new Regex(sb.Append('$').ToString(), RegexOptions.CultureInvariant);
    }
}
