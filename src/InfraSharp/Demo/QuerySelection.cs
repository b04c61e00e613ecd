using System.Text.Json.Nodes;
using InfraSharp.Evaluation;
using InfraSharp.Storage;
using InfraSharp.Text;

namespace InfraSharp.Demo;

/// <summary>
/// The queries the trained model answers correctly (greedy), as the Infra paper selects them. A domain with no
/// correct answer keeps all its queries, with a warning, so that both domains stay in the analysis.
/// </summary>
internal static class QuerySelection
{
    /// <summary>
    /// Writes the chosen rows of <paramref name="queries"/> to <paramref name="outPath"/>: per domain, at most
    /// <paramref name="maxPerDomain"/> of those <paramref name="graded"/> marks correct, spread over levels.
    /// </summary>
    public static string CorrectQueries(
        string queries,
        IReadOnlyList<SampleResult> graded,
        string outPath,
        int maxPerDomain = 8,
        IProgress<RunProgress>? progress = null
    )
    {
        var correct = graded.Where(r => r.Correct).Select(r => r.ProblemId).ToHashSet();
        var rows = DatasetReader.Read(queries).ToList();
        var kept = new List<JsonObject>();
        foreach (var g in rows.GroupBy(r => r.Fields["domain"]?.ToString() ?? ""))
        {
            var ok = g.Where(r => correct.Contains(Evaluator.ProblemId(r))).ToList();
            if (ok.Count == 0)
                ProgressMeter.Note(
                    progress,
                    $"warning: no {g.Key} query answered correctly; keeping all {g.Count()} {g.Key} queries"
                );
            else
                ProgressMeter.Note(progress, $"{g.Key}: {ok.Count} of {g.Count()} queries answered correctly");
            // At most maxPerDomain per domain, spread over levels: per-token scoring costs queries x training tokens.
            var chosen = (ok.Count == 0 ? g.ToList() : ok)
                .GroupBy(r => r.Fields["difficulty"]?.ToString() ?? "")
                .SelectMany(l => l.Select((r, i) => (r, i)))
                .OrderBy(x => x.i)
                .Take(maxPerDomain)
                .Select(x => x.r);
            kept.AddRange(chosen.Select(r => r.Fields));
        }
        JsonlFile.Write(outPath, kept);
        return outPath;
    }
}
