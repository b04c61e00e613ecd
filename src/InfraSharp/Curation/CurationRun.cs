using System.Text.Json.Nodes;
using InfraSharp.Attribution;
using InfraSharp.Influence;
using InfraSharp.Storage;
using InfraSharp.Text;

namespace InfraSharp.Curation;

/// <summary>
/// The curation run: reads the training rows, applies the strategy and writes the curated rows (every field kept,
/// plus <c>weight</c>) with a manifest beside them (<see cref="CurationManifest"/>: the arguments and input
/// fingerprints).
/// </summary>
public static class CurationRun
{
    /// <summary>
    /// Curates into <paramref name="outFile"/>, which may be no input (data, scores, analysis) and may exist only
    /// with <see cref="RunOptions.Overwrite"/>.
    /// </summary>
    public static CurationResult Run(CurationRunArguments a, string outFile, RunOptions? options = null)
    {
        options ??= new RunOptions();
        var reads = RunInput
            .Of(
                ("--data", a.Data),
                ("--scores", a.Scores),
                ("--analysis", a.Analysis),
                ("--pool", a.Pool),
                ("--tokenizer", a.Tokenizer)
            )
            .ToList();
        OutputGuard.File(outFile, "--out", options.Overwrite, reads);
        OutputGuard.File(CurationManifest.PathFor(outFile), "--out", options.Overwrite, reads);
        a.Validate();
        var rows = DatasetReader.Read(a.Data).Select(r => r.Fields).ToList();
        if (rows.Count == 0)
            throw InputError.Argument($"--data {a.Data}: the dataset is empty");
        var pool = a.Pool is null ? null : PoolSelection.Read(a.Pool, rows);
        OutputFolder.ForFile(outFile);
        var result = Apply(a, rows, pool);
        JsonlFile.Write(outFile, result.Rows);
        CurationManifest.Write(
            outFile,
            a,
            new CurationInputs
            {
                Data = Fingerprint.Files([a.Data]),
                Scores = a.Scores is null
                    ? null
                    : Fingerprint.Files([Path.Combine(a.Scores, ScoreFolder.PairwiseFile)]),
                Pool = a.Pool is null ? null : Fingerprint.Files([a.Pool]),
            },
            new CurationInfo
            {
                RowsIn = rows.Count,
                RowsOut = result.Rows.Count,
                Duplicates = result.Duplicates,
            }
        );
        return result;
    }

    /// <summary>The strategy applied to rows in memory (what the demo and the run share).</summary>
    public static CurationResult Apply(CurationRunArguments a, IReadOnlyList<JsonObject> rows) =>
        CountDuplicates(a.Mode, Strategy(a, rows));

    /// <summary>
    /// As <see cref="Apply(CurationRunArguments, IReadOnlyList{JsonObject})"/>, selecting from
    /// <paramref name="pool"/> (the rows of <see cref="CurationRunArguments.Pool"/>) where it is given.
    /// </summary>
    internal static CurationResult Apply(
        CurationRunArguments a,
        IReadOnlyList<JsonObject> rows,
        IReadOnlyList<JsonObject>? pool
    ) => CountDuplicates(a.Mode, pool is null ? Strategy(a, rows) : FromPool(a, rows, pool));

    // A rule (flip-difficulty, attribute-influence) gives the domain x level counts of its redraw, and the random
    // control the original's own counts, each drawn uniformly within its cells (the original is itself a uniform
    // draw); a ranking (influence-top over scores of the pool) takes each domain's best rows. Every mix then has the
    // original's row and domain counts, and its length budget within PoolSelection.Tolerance.
    private static CurationResult FromPool(
        CurationRunArguments a,
        IReadOnlyList<JsonObject> rows,
        IReadOnlyList<JsonObject> pool
    )
    {
        var length = RowLength.For(a.Tokenizer);
        var budgets = PoolSelection.Budgets(rows, length.Of);
        string poolPath = a.Pool!;
        List<JsonObject> selected;
        string what;
        if (a.Strategy == CurationStrategy.InfluenceTop)
        {
            var scores = ScoreSet.Load(a.Scores!);
            var rank = InfluenceTop.PoolRanks(pool, scores, a.Scores!);
            var counts = rows.GroupBy(LevelDistribution.Domain).ToDictionary(g => g.Key, g => g.Count());
            selected = PoolSelection.SelectRanked(pool, rank, counts, budgets, length.Of, poolPath, a.Seed);
            var byId = pool.Select((r, i) => (r, i)).ToDictionary(x => x.r["id"]!.ToString(), x => rank[x.i]);
            foreach (var r in selected)
                r["influence"] = byId[r["id"]!.ToString()];
            what =
                $"influence-top ({a.Scores}): each domain's highest-ranked rows, mean aggregated influence "
                + $"{rank.Average():+0.000;-0.000} in the pool -> "
                + $"{selected.Average(r => r["influence"]!.GetValue<double>()):+0.000;-0.000} in the mix,";
        }
        else
        {
            var target =
                a.Strategy == CurationStrategy.RandomControl
                    ? rows
                    : Strategy(a with { Mode = CurationMode.Replace, Pool = null }, rows).Rows;
            selected = PoolSelection.Select(pool, PoolSelection.Counts(target), budgets, length.Of, poolPath, a.Seed);
            what = a.Strategy switch
            {
                CurationStrategy.RandomControl =>
                    "random control: the training set's domain x level counts, drawn uniformly",
                CurationStrategy.FlipDifficulty =>
                    $"flip-difficulty ({a.Flip}, strength {a.Strength}): the flipped level counts, drawn",
                _ => $"attribute-influence ({a.Analysis}): the reweighted level counts, drawn",
            };
        }
        long before = budgets.Values.Sum(),
            after = selected.Sum(r => (long)length.Of(r));
        double change = (after - before) / (double)before;
        if (Math.Abs(change) > PoolSelection.Tolerance)
            throw InputError.Data(
                $"--pool {poolPath}: the closest selection has {after} {length.Unit}, the training set {before} "
                    + $"({change:+0.0%;-0.0%}; at most {PoolSelection.Tolerance:0%} allowed): the pool is too small"
            );
        return new CurationResult(
            selected,
            $"{what} from the pool {poolPath} without replacement: {selected.Count} rows (the training set's "
                + $"{rows.Count}), {after} {length.Unit} (the training set's {before}, {change:+0.0%;-0.0%}); "
                + "level distribution of the training set and of the mix\n\n"
                + LevelDistribution.Table(rows, selected)
        );
    }

    // Every strategy's replace mode may repeat rows of the training set; the count is stated once, here, for all.
    private static CurationResult CountDuplicates(CurationMode mode, CurationResult r)
    {
        if (mode != CurationMode.Replace)
            return r;
        int n = MixDuplicates.Count(r.Rows);
        return r with
        {
            Summary =
                r.Summary.TrimEnd('\n') + $"\n\n{n} of {r.Rows.Count} rows are duplicates (repeat a row drawn already)",
            Duplicates = n,
        };
    }

    private static CurationResult Strategy(CurationRunArguments a, IReadOnlyList<JsonObject> rows) =>
        a.Strategy switch
        {
            CurationStrategy.FlipDifficulty => FlipDifficulty.Apply(rows, a.Mode, a.Flip, a.Strength, a.Seed),
            CurationStrategy.InfluenceTop => InfluenceTop.Apply(
                rows,
                ScoreSet.Load(
                    a.Scores ?? throw InputError.ArgumentAt($"influence-top needs {ArgumentPath.Root / "scores"}")
                ),
                a.Fraction,
                a.Mode,
                a.Temperature
            ),
            CurationStrategy.AttributeInfluence => AttributeInfluence.Apply(
                rows,
                a.Analysis
                    ?? throw InputError.ArgumentAt($"attribute-influence needs {ArgumentPath.Root / "analysis"}"),
                a.Mode,
                a.Temperature,
                a.Seed
            ),
            CurationStrategy.RandomControl => RandomControl.Apply(rows, a.Mode, a.Seed),
            _ => throw new ArgumentOutOfRangeException(nameof(a), a.Strategy, "unknown curation strategy"),
        };
}
