using System.Text.Json.Nodes;

namespace InfraSharp.Storage;

/// <summary>What differs between two JSON trees, as <c>path: old -> new</c> lines (short values, sorted
/// paths).</summary>
internal static class JsonDiff
{
    public static List<string> Describe(JsonNode? before, JsonNode? after, int max = 6)
    {
        var diffs = new List<string>();
        Walk("", before, after, diffs);
        if (diffs.Count > max)
            diffs = [.. diffs.Take(max), $"... {diffs.Count - max} more"];
        return diffs;
    }

    private static void Walk(string path, JsonNode? a, JsonNode? b, List<string> diffs)
    {
        if (a is JsonObject oa && b is JsonObject ob)
        {
            foreach (
                var key in oa.Select(kv => kv.Key)
                    .Union(ob.Select(kv => kv.Key))
                    .OrderBy(k => k, StringComparer.Ordinal)
            )
                Walk(path.Length == 0 ? key : $"{path}.{key}", oa[key], ob[key], diffs);
            return;
        }
        if (JsonNode.DeepEquals(a, b))
            return;
        diffs.Add($"{path}: {Short(a)} -> {Short(b)}");
    }

    private static string Short(JsonNode? n)
    {
        string s = n is null ? "null" : n.ToJsonString();
        return s.Length <= 40 ? s : s[..37] + "...";
    }
}
