using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using InfraSharp.Storage;

namespace InfraSharp.Evaluation;

/// <summary>
/// Accuracy (mean over samples) and unbiased pass@k (mean over problems), overall and per domain and per
/// domain x difficulty, written as <c>summary.json</c> and a Markdown table.
/// </summary>
public sealed record EvalSummary(IReadOnlyList<EvalSummary.Group> Groups, int[] Ks)
{
    /// <summary>One row of the summary: a domain (or <c>all</c>) at one difficulty (or <c>all</c>).</summary>
    /// <param name="Domain"><c>math</c>, <c>code</c> or <c>all</c>.</param>
    /// <param name="Difficulty">The problems' difficulty level, <c>all</c>, or <c>-</c> where rows have none.</param>
    /// <param name="Problems">Distinct problems in the group.</param>
    /// <param name="Samples">Graded samples in the group.</param>
    /// <param name="Accuracy">Fraction of samples correct (0 to 1).</param>
    /// <param name="PassAtK">Unbiased pass@k (0 to 1) per k of <see cref="Ks"/>, averaged over problems.</param>
    public sealed record Group(
        string Domain,
        string Difficulty,
        int Problems,
        int Samples,
        double Accuracy,
        IReadOnlyDictionary<int, double> PassAtK
    );

    internal static EvalSummary Compute(IReadOnlyList<SampleResult> results)
    {
        int minN = results.Count == 0 ? 0 : results.GroupBy(r => r.ProblemId).Min(g => g.Count());
        int[] ks = new[] { 1, 5, 10, 20, 100 }.Where(k => k <= minN).ToArray();
        var groups = new List<Group>();
        void Add(string domain, string diff, IEnumerable<SampleResult> rs)
        {
            var list = rs.ToList();
            if (list.Count == 0)
                return;
            var byProblem = list.GroupBy(r => r.ProblemId).ToList();
            var pass = ks.ToDictionary(
                k => k,
                k => byProblem.Average(g => PassAtK.Estimate(g.Count(), g.Count(r => r.Correct), k))
            );
            groups.Add(
                new Group(domain, diff, byProblem.Count, list.Count, list.Average(r => r.Correct ? 1.0 : 0.0), pass)
            );
        }
        Add("all", "all", results);
        foreach (var d in results.GroupBy(r => r.Domain).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            Add(d.Key, "all", d);
            foreach (var l in d.GroupBy(r => r.Difficulty ?? "-").OrderBy(g => g.Key, StringComparer.Ordinal))
                Add(d.Key, l.Key, l);
        }
        return new EvalSummary(groups, ks);
    }

    /// <summary>The summary as <c>summary.json</c> holds it: the ks and every group with its pass@k.</summary>
    public JsonObject ToJson() =>
        new()
        {
            ["ks"] = new JsonArray(Ks.Select(k => (JsonNode)k).ToArray()),
            ["groups"] = new JsonArray(
                Groups
                    .Select(g =>
                        (JsonNode)
                            new JsonObject
                            {
                                ["domain"] = g.Domain,
                                ["difficulty"] = g.Difficulty,
                                ["problems"] = g.Problems,
                                ["samples"] = g.Samples,
                                ["accuracy"] = g.Accuracy,
                                ["pass_at_k"] = new JsonObject(
                                    g.PassAtK.Select(kv => KeyValuePair.Create($"pass@{kv.Key}", (JsonNode?)kv.Value))
                                ),
                            }
                    )
                    .ToArray()
            ),
        };

    /// <summary>
    /// The summary as a Markdown table (accuracy and pass@k in percent), as <c>summary.md</c> holds it.
    /// </summary>
    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.Append("| domain | difficulty | problems | samples | accuracy |");
        foreach (var k in Ks)
            sb.Append($" pass@{k} |");
        sb.Append("\n|---|---|---|---|---|");
        foreach (var _ in Ks)
            sb.Append("---|");
        sb.Append('\n');
        foreach (var g in Groups)
        {
            sb.Append(
                CultureInfo.InvariantCulture,
                $"| {g.Domain} | {g.Difficulty} | {g.Problems} | {g.Samples} | {g.Accuracy * 100:F1}% |"
            );
            foreach (var k in Ks)
                sb.Append(CultureInfo.InvariantCulture, $" {g.PassAtK[k] * 100:F1}% |");
            sb.Append('\n');
        }
        return sb.ToString();
    }

    internal void Write(string outDir, IReadOnlyList<SampleResult> results)
    {
        Directory.CreateDirectory(outDir);
        JsonlFile.Write(Path.Combine(outDir, EvaluationFolder.ResultsFile), results.Select(r => r.ToJson()));
        AtomicFile.WriteAllText(
            Path.Combine(outDir, EvaluationFolder.SummaryFile),
            ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n"
        );
        AtomicFile.WriteAllText(Path.Combine(outDir, EvaluationFolder.SummaryMarkdownFile), ToMarkdown());
    }
}
