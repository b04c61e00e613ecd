using System.Text.Json.Nodes;

namespace InfraSharp.Attribution;

/// <summary>
/// Group keys from row attributes: any attribute name, plus the derived <c>length_bucket</c> (quartiles of
/// the token count). A missing attribute groups as "(none)".
/// </summary>
internal static class GroupKeys
{
    public static string[] Build(
        IReadOnlyList<JsonObject> attributes,
        IReadOnlyList<int> lengths,
        IReadOnlyList<string> keys
    )
    {
        double[] cuts = [];
        if (keys.Contains("length_bucket"))
        {
            var sorted = lengths.Select(l => (double)l).OrderBy(x => x).ToArray();
            cuts =
            [
                Statistics.Percentile(sorted, 0.25),
                Statistics.Percentile(sorted, 0.5),
                Statistics.Percentile(sorted, 0.75),
            ];
        }
        return attributes
            .Select(
                (a, i) =>
                    string.Join(
                        "|",
                        keys.Select(k =>
                            k == "length_bucket"
                                ? $"length_bucket=q{1 + cuts.Count(c => lengths[i] > c)}"
                                : $"{k}={Value(a[k])}"
                        )
                    )
            )
            .ToArray();
    }

    public static string Value(JsonNode? n) =>
        n switch
        {
            null => "(none)",
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            _ => n.ToJsonString(),
        };

    /// <summary>Natural order: numbers inside keys compare as numbers (difficulty=2 before difficulty=10).</summary>
    public static int Compare(string a, string b)
    {
        var pa = System.Text.RegularExpressions.Regex.Split(a, @"(\d+)");
        var pb = System.Text.RegularExpressions.Regex.Split(b, @"(\d+)");
        for (int i = 0; i < Math.Min(pa.Length, pb.Length); i++)
        {
            int c =
                long.TryParse(pa[i], out var x) && long.TryParse(pb[i], out var y)
                    ? x.CompareTo(y)
                    : string.CompareOrdinal(pa[i], pb[i]);
            if (c != 0)
                return c;
        }
        return pa.Length.CompareTo(pb.Length);
    }
}
