using System.Globalization;
using InfraSharp.Evaluation;
using InfraSharp.Storage;
using InfraSharp.Validation;

namespace InfraSharp.Experiment;

/// <summary>
/// <c>experiment.csv</c>: one line per retrained model, domain and level (<c>all</c>, then each level): how many of
/// the held-out problems it answered correctly, greedy, first sample per problem.
/// </summary>
internal static class ExperimentTable
{
    public const string Header = "mix,seed,domain,level,correct,total";

    public static IEnumerable<string> Lines(IReadOnlyList<BeforeAfterComparison.Run> runs)
    {
        foreach (var run in runs)
        {
            var first = run.Results.Where(r => r.SampleIndex == 0).ToList();
            foreach (var domain in first.Select(r => r.Domain).Distinct().Order(StringComparer.Ordinal))
            foreach (var level in BeforeAfterComparison.Levels)
            {
                var xs = first.Where(r => r.Domain == domain && (level == "all" || r.Difficulty == level)).ToList();
                if (xs.Count == 0)
                    continue;
                yield return string.Join(
                    ",",
                    CsvTable.Quote(run.Mix),
                    run.Seed.ToString(CultureInfo.InvariantCulture),
                    CsvTable.Quote(domain),
                    level,
                    xs.Count(r => r.Correct).ToString(CultureInfo.InvariantCulture),
                    xs.Count.ToString(CultureInfo.InvariantCulture)
                );
            }
        }
    }

    public static void Write(string path, IReadOnlyList<BeforeAfterComparison.Run> runs) =>
        AtomicFile.WriteAllLines(path, new[] { Header }.Concat(Lines(runs)));

    /// <summary>
    /// The sample standard deviation over seeds of a mix's accuracy in a domain (all levels), NaN under 2 seeds.
    /// </summary>
    public static double SeedSd(IReadOnlyList<BeforeAfterComparison.Run> runs, string mix, string domain)
    {
        var acc = runs.Where(r => r.Mix == mix)
            .Select(r => EvalSummary.Compute(r.Results))
            .Select(s => s.Groups.FirstOrDefault(g => g.Domain == domain && g.Difficulty == "all")?.Accuracy)
            .OfType<double>()
            .ToList();
        if (acc.Count < 2)
            return double.NaN;
        double m = acc.Average();
        return Math.Sqrt(acc.Sum(x => (x - m) * (x - m)) / (acc.Count - 1));
    }
}
