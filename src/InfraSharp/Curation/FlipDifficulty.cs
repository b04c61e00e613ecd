using System.Globalization;

namespace InfraSharp.Curation;

/// <summary>
/// The Infra paper's rule: within math move the mass from easy to hard levels, within code from hard to easy.
/// A domain marked <c>up</c> multiplies level l's share by (rank of l)^strength, <c>down</c> by
/// (L + 1 - rank)^strength, over its L distinct levels; size and domain ratio are kept.
/// </summary>
public static class FlipDifficulty
{
    public static Dictionary<string, string> ParseMapping(string spec)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split(':');
            if (kv.Length != 2 || kv[1] is not ("up" or "down" or "keep"))
                throw InputError.Argument($"--flip '{spec}': each entry is domain:up, domain:down or domain:keep");
            map[kv[0]] = kv[1];
        }
        return map;
    }

    public static CurationResult Apply(
        IReadOnlyList<System.Text.Json.Nodes.JsonObject> rows,
        CurationMode mode,
        string flip = "math:up,code:down",
        double strength = 1.0,
        int seed = 0
    )
    {
        var map = ParseMapping(flip);
        var levels = rows.GroupBy(LevelDistribution.Domain)
            .ToDictionary(g => g.Key, g => g.Select(LevelDistribution.Level).Distinct().Order().ToList());
        foreach (var r in rows)
            if (r["difficulty"] is null)
                throw InputError.Argument($"row '{r["id"]}' has no 'difficulty' to flip");
        double Multiplier(string group)
        {
            var parts = group.Split('|');
            string domain = parts[0];
            int level = int.Parse(parts[1], CultureInfo.InvariantCulture);
            string dir = map.GetValueOrDefault(domain, "keep");
            if (dir == "keep")
                return 1.0;
            var ls = levels[domain];
            int rank = ls.IndexOf(level) + 1;
            return Math.Pow(dir == "up" ? rank : ls.Count + 1 - rank, strength);
        }
        var result = Reweighting.Apply(
            rows,
            r => $"{LevelDistribution.Domain(r)}|{LevelDistribution.Level(r)}",
            Multiplier,
            LevelDistribution.Domain,
            mode,
            seed
        );
        string summary =
            $"flip-difficulty ({flip}, strength {strength}, {mode.ToString().ToLowerInvariant()}): level "
            + $"distribution before and after\n\n"
            + LevelDistribution.Table(rows, result);
        return new CurationResult(result, summary);
    }
}
