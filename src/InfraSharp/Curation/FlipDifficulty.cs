using System.Globalization;

namespace InfraSharp.Curation;

/// <summary>
/// The Infra paper's rule: within math move the mass from easy to hard levels, within code from hard to easy.
/// A domain marked <c>up</c> multiplies level l's share by (rank of l)^strength, <c>down</c> by
/// (L + 1 - rank)^strength, over its L distinct levels; size and domain ratio are kept.
/// </summary>
public static class FlipDifficulty
{
    /// <summary>Reweights or redraws <paramref name="rows"/>; <paramref name="flip"/> null is the Infra rule.</summary>
    public static CurationResult Apply(
        IReadOnlyList<System.Text.Json.Nodes.JsonObject> rows,
        CurationMode mode,
        DifficultyFlip? flip = null,
        double strength = 1.0,
        int seed = 0
    )
    {
        var rule = flip ?? DifficultyFlip.Infra;
        var map = rule.Directions;
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
            $"flip-difficulty ({rule}, strength {strength}, {mode.ToString().ToLowerInvariant()}): "
            + "level distribution before and after\n\n"
            + LevelDistribution.Table(rows, result);
        return new CurationResult(result, summary);
    }
}
