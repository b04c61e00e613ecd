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
    }

    /// <summary>The corpus's domains.</summary>
    public static readonly string[] Domains = ["math", "code"];

    /// <summary>The difficulty levels of every domain.</summary>
    public static readonly int[] Levels = [1, 2, 3, 4, 5];

    /// <summary>The three splits, disjoint in problem statements.</summary>
    /// <param name="Train">Training rows (chat messages with attributes).</param>
    /// <param name="Queries">Query rows (the influence targets).</param>
    /// <param name="Eval">Held-out problems for evaluation.</param>
    public sealed record Splits(List<JsonObject> Train, List<JsonObject> Queries, List<JsonObject> Eval);

    /// <summary>
    /// Generates the corpus of <paramref name="o"/>; sizes too small for one row per cell are bad arguments.
    /// </summary>
    public static Splits Generate(Options o)
    {
        if (o.Size < Domains.Length * Levels.Length)
            throw InputError.Argument($"--size must be at least {Domains.Length * Levels.Length} (one row per cell)");
        if (o.ExploreShare is < 0 or > 1)
            throw InputError.Argument("--explore-share must be within [0, 1]");
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
        return new Splits(shuffled, queries, eval);
    }

    /// <summary>The files <see cref="Write"/> writes into its folder.</summary>
    public static readonly string[] FileNames = ["train.jsonl", "queries.jsonl", "eval.jsonl"];

    /// <summary>Refuses a folder where a split file exists already (unless <paramref name="overwrite"/>).</summary>
    public static void CheckOutput(string outDir, bool overwrite)
    {
        if (File.Exists(outDir))
            throw InputError.Argument($"--out {outDir} is a file; give a folder");
        foreach (var f in FileNames)
            OutputGuard.File(Path.Combine(outDir, f), "--out", overwrite, []);
    }

    /// <summary>
    /// Writes <c>train.jsonl</c>, <c>queries.jsonl</c> and <c>eval.jsonl</c> into <paramref name="outDir"/>.
    /// </summary>
    public static void Write(string outDir, Splits s)
    {
        Directory.CreateDirectory(outDir);
        JsonlFile.Write(Path.Combine(outDir, "train.jsonl"), s.Train);
        JsonlFile.Write(Path.Combine(outDir, "queries.jsonl"), s.Queries);
        JsonlFile.Write(Path.Combine(outDir, "eval.jsonl"), s.Eval);
    }
}
