using System.Text.Json.Nodes;
using InfraSharp.Storage;

namespace InfraSharp.Training.Synthetic;

/// <summary>
/// The seeded synthetic reasoning corpus: math and code problems at levels 1-5, split into train, query and
/// held-out eval sets with every domain x difficulty cell in every split and no problem statement in two
/// splits. Same seed, same bytes.
/// </summary>
public static class SyntheticDataset
{
    /// <summary>The corpus's sizes and seed.</summary>
    public sealed record Options
    {
        /// <summary>Seed of every draw: the same seed writes the same bytes.</summary>
        public int Seed { get; init; } = 1;

        /// <summary>Training rows in total (split evenly over the 10 cells).</summary>
        public int Size { get; init; } = 1000;

        /// <summary>Query rows per domain x difficulty cell.</summary>
        public int QueriesPerCell { get; init; } = 4;

        /// <summary>Held-out rows per cell: 100 x 5 levels = 500 per domain, enough to tell a 5-point change from
        /// noise.</summary>
        public int EvalPerCell { get; init; } = 100;

        /// <summary>Share of solutions with an exploratory step ("wait, let me check", "alternatively").</summary>
        public double ExploreShare { get; init; } = 0.3;

        /// <summary>
        /// Pool rows per training row (0: no pool). The library's default is 0 so that callers that never curate
        /// from a pool (the demo, tests) neither pay for nor write one; <c>infra data synth</c> asks for 3.
        /// </summary>
        public int PoolFactor { get; init; }
    }

    /// <summary>The corpus's domains.</summary>
    public static readonly string[] Domains = ["math", "code"];

    /// <summary>The difficulty levels of every domain.</summary>
    public static readonly int[] Levels = [1, 2, 3, 4, 5];

    /// <summary>The three splits, disjoint in problem statements.</summary>
    /// <param name="Train">Training rows (chat messages with attributes).</param>
    /// <param name="Queries">Query rows (the influence targets).</param>
    /// <param name="Eval">Held-out problems for evaluation.</param>
    public sealed record Splits(List<JsonObject> Train, List<JsonObject> Queries, List<JsonObject> Eval)
    {
        /// <summary>
        /// Candidate rows a curation selects from without replacement (<see cref="Options.PoolFactor"/> x the
        /// training rows of every cell), disjoint in problem statements from the three splits; empty without a pool.
        /// </summary>
        public List<JsonObject> Pool { get; init; } = [];
    }

    /// <summary>
    /// Generates the corpus of <paramref name="o"/>; sizes too small for one row per cell are bad arguments.
    /// </summary>
    public static Splits Generate(Options o)
    {
        if (o.Size < Domains.Length * Levels.Length)
            throw InputError.Argument($"--size must be at least {Domains.Length * Levels.Length} (one row per cell)");
        if (o.ExploreShare is < 0 or > 1)
            throw InputError.Argument("--explore-share must be within [0, 1]");
        if (o.PoolFactor < 0)
            throw InputError.Argument("--pool-factor must be at least 0");
        var rng = new Random(o.Seed);
        var math = new MathProblemGenerator(rng);
        var code = new CodeProblemGenerator(rng);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var train = new List<JsonObject>();
        var queries = new List<JsonObject>();
        var eval = new List<JsonObject>();
        int cells = Domains.Length * Levels.Length,
            cell = 0;
        foreach (var domain in Domains)
        foreach (var level in Levels)
        {
            int nTrain = o.Size / cells + (cell++ < o.Size % cells ? 1 : 0);
            int need = nTrain + o.QueriesPerCell + o.EvalPerCell;
            var problems = new List<SyntheticProblem>();
            int attempts = 0;
            while (problems.Count < need)
            {
                if (++attempts > need * 200)
                    throw InputError.Invalid(
                        $"cannot find {need} distinct {domain} problems at level {level}; lower --size"
                    );
                bool explore = rng.NextDouble() < o.ExploreShare;
                var p = domain == "math" ? math.Generate(level, explore) : code.Generate(level, explore);
                if (seen.Add(p.Statement))
                    problems.Add(p);
            }
            int i = 0;
            foreach (var p in problems)
            {
                string split =
                    i < o.QueriesPerCell ? "q"
                    : i < o.QueriesPerCell + o.EvalPerCell ? "e"
                    : "t";
                var target =
                    split == "q" ? queries
                    : split == "e" ? eval
                    : train;
                target.Add(p.ToRow($"{domain}-L{level}-{split}{i:D4}"));
                i++;
            }
        }
        // Interleave cells in training order (seeded), so that batches mix domains and levels.
        var shuffled = train.OrderBy(_ => rng.Next()).ToList();
        return new Splits(shuffled, queries, eval) { Pool = GeneratePool(o, seen) };
    }

    // The pool's own seeded stream: drawing it from the splits' generator would change their bytes, which the demo
    // and the tests depend on. Each cell gets PoolFactor x its training rows, so the pool can supply any strategy's
    // domain x level counts; a statement already in a split (or in the pool) is redrawn.
    private const int PoolSeedOffset = 104729;

    private static List<JsonObject> GeneratePool(Options o, HashSet<string> seen)
    {
        var pool = new List<JsonObject>();
        if (o.PoolFactor == 0)
            return pool;
        var rng = new Random(unchecked(o.Seed + PoolSeedOffset));
        var math = new MathProblemGenerator(rng);
        var code = new CodeProblemGenerator(rng, wide: true);
        int cells = Domains.Length * Levels.Length,
            cell = 0;
        foreach (var domain in Domains)
        foreach (var level in Levels)
        {
            int need = o.PoolFactor * (o.Size / cells + (cell++ < o.Size % cells ? 1 : 0));
            int attempts = 0,
                made = 0;
            while (made < need)
            {
                if (++attempts > need * 200)
                    throw InputError.Invalid(
                        $"cannot find {need} new {domain} problems at level {level} for the pool; lower "
                            + "--pool-factor or --size"
                    );
                bool explore = rng.NextDouble() < o.ExploreShare;
                var p = domain == "math" ? math.Generate(level, explore) : code.Generate(level, explore);
                if (seen.Add(p.Statement))
                    pool.Add(p.ToRow($"{domain}-L{level}-p{made++:D4}"));
            }
        }
        return pool.OrderBy(_ => rng.Next()).ToList();
    }

    /// <summary>The files <see cref="Write"/> writes into its folder.</summary>
    public static readonly string[] FileNames = ["train.jsonl", "queries.jsonl", "eval.jsonl", PoolFile];

    /// <summary>The pool's file name, written only when the corpus has a pool.</summary>
    public const string PoolFile = "pool.jsonl";

    /// <summary>Refuses a folder where a split file exists already (unless <paramref name="overwrite"/>).</summary>
    public static void CheckOutput(string outDir, bool overwrite)
    {
        if (File.Exists(outDir))
            throw InputError.Argument($"--out {outDir} is a file; give a folder");
        foreach (var f in FileNames)
            OutputGuard.File(Path.Combine(outDir, f), "--out", overwrite, []);
    }

    /// <summary>
    /// Writes <c>train.jsonl</c>, <c>queries.jsonl</c> and <c>eval.jsonl</c> into <paramref name="outDir"/>, and
    /// <c>pool.jsonl</c> when <paramref name="s"/> has a pool.
    /// </summary>
    public static void Write(string outDir, Splits s)
    {
        Directory.CreateDirectory(outDir);
        JsonlFile.Write(Path.Combine(outDir, "train.jsonl"), s.Train);
        JsonlFile.Write(Path.Combine(outDir, "queries.jsonl"), s.Queries);
        JsonlFile.Write(Path.Combine(outDir, "eval.jsonl"), s.Eval);
        if (s.Pool.Count > 0)
            JsonlFile.Write(Path.Combine(outDir, PoolFile), s.Pool);
    }
}
