using System.Diagnostics;
using System.Text.Json.Nodes;
using InfraSharp.Influence;
using InfraSharp.Models;
using InfraSharp.Storage;
using InfraSharp.Text;
using static TorchSharp.torch;

namespace InfraSharp.Bench;

/// <summary>
/// Factor fitting and pairwise scoring on a Qwen2-shaped model of ~28M parameters, each throughput given as
/// achieved FLOP/s over the f32 matmul rate of the same run, plus peak memory (VmHWM).
/// </summary>
public static class InfluenceBenchmark
{
    private static readonly ModelConfig Config = new()
    {
        ModelType = "qwen2",
        VocabSize = 8192,
        HiddenSize = 512,
        IntermediateSize = 1536,
        NumLayers = 8,
        NumHeads = 8,
        NumKvHeads = 2,
        HeadDim = 64,
        RmsNormEps = 1e-6,
        RopeTheta = 1e6,
        TieWordEmbeddings = true,
        AttentionBias = true,
    };

    private static List<EncodedExample> RandomExamples(int n, int length, int seed)
    {
        var rng = new Random(seed);
        return Enumerable
            .Range(0, n)
            .Select(i =>
            {
                var ids = Enumerable.Range(0, length).Select(_ => rng.Next(Config.VocabSize)).ToArray();
                return new EncodedExample($"x{i}", ids, ids, new JsonObject(), "bench", i + 1);
            })
            .ToList();
    }

    public static long PeakRssBytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:"))
                return long.Parse(line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        return 0;
    }

    public static void Run(int length = 256, int factorExamples = 32)
    {
        using var model = CausalLM.Initialize(Config, seed: 1);
        var mods = TrackedModules.Resolve(Config, ModuleSelection.All);
        double linearParams = Config
            .ParameterShapes()
            .Where(p => p.Shape.Length == 2 && !p.Name.Contains("embed"))
            .Sum(p => (double)p.Shape[0] * p.Shape[1]);
        double fwdPerToken =
            2 * linearParams
            + 2.0 * Config.HiddenSize * Config.VocabSize
            + 4.0 * length * Config.NumHeads * Config.HeadDim * Config.NumLayers / 2;
        var shapes = mods
            .Names.Select(m =>
            {
                var w = model.Parameters[m + ".weight"];
                return (
                    Out: (double)w.shape[0],
                    In: (double)w.shape[1] + (model.Parameters.ContainsKey(m + ".bias") ? 1 : 0)
                );
            })
            .ToList();
        double sumOutIn = shapes.Sum(s => s.Out * s.In),
            sumSq = shapes.Sum(s => s.Out * s.Out + s.In * s.In);
        Console.WriteLine(
            $"model: {model.ParameterCount / 1e6:F1}M parameters (Qwen2 shape: hidden 512, 8 layers, 8 heads / 2 KV "
                + $"heads, MLP 1536), {mods.Names.Count} tracked Linears, sequences of {length} tokens, "
                + $"threads={get_num_threads()}"
        );
        double rate0 = MatmulRate.GflopsF32();

        // Factor fitting (EK-FAC): covariance pass + eigendecomposition + lambda pass.
        var train = RandomExamples(factorExamples, length, 2);
        string dir = Path.Combine(Path.GetTempPath(), "infrasharp-bench", Guid.NewGuid().ToString("N"));
        var sw = Stopwatch.StartNew();
        var fitter = new FactorFitter(
            model,
            mods,
            InfluenceStrategy.Get("ekfac"),
            new FactorArguments { TokensPerBatch = 4 * length }
        );
        var fit = fitter.Fit(train, dir, Partition.Whole);
        double tFactors = sw.Elapsed.TotalSeconds;
        double tokens = factorExamples * (double)length;
        // Useful work: two passes of forward + output-gradient backward (3x forward), covariances (a·aᵀ, g·gᵀ),
        // rotations of a and g, and the per-example rotated gradient (T·out·in).
        double factorFlops = tokens * (2 * 3 * fwdPerToken + 2 * sumSq + 2 * sumSq + 2 * sumOutIn);
        var factors = FactorFitter.Load(dir, mods.Names, InfluenceStrategy.Get("ekfac"));
        long peakFactors = PeakRssBytes();

        var rows = new List<string>();
        var timesBySize = new Dictionary<int, double>();
        foreach (int q in new[] { 8, 64 })
        {
            var queries = RandomExamples(q, length, 3);
            var scorer = new InfluenceScorer(
                model,
                mods,
                InfluenceStrategy.Get("ekfac"),
                factors,
                new ScoreArguments { TokensPerBatch = 4 * length }
            );
            using var pq = scorer.PrepareQueries(queries);
            foreach (int n in q == 8 ? new[] { 8, 16, 32 } : new[] { 16 })
            {
                var tr = RandomExamples(n, length, 4);
                scorer.ScoreTraining(pq, tr, 0, 4, length); // warm-up
                sw.Restart();
                using (var scope = NewDisposeScope())
                    scorer.ScoreTraining(pq, tr, 0, n, length);
                double t = sw.Elapsed.TotalSeconds;
                if (q == 8)
                    timesBySize[n] = t;
                // Per training example: forward + output-gradient backward, G_e = Σ_t g_t a_tᵀ, and Q dot products.
                double flops = n * (length * 3 * fwdPerToken + 2.0 * length * sumOutIn + 2.0 * q * sumOutIn);
                rows.Add(
                    $"| pairwise scoring, {q} queries, {n} train | {t:F2} | {n / t:F1} examples/s | "
                        + $"{flops / t / 1e9:F1} | {{0}} |"
                );
                scorerFlops.Add(flops / t / 1e9);
            }
        }
        double rate1 = MatmulRate.GflopsF32();
        double rate = (rate0 + rate1) / 2;
        Console.WriteLine($"f32 matmul 1024^2: {rate:F1} GFLOP/s (before {rate0:F1}, after {rate1:F1})");
        Console.WriteLine("| work | seconds | throughput | GFLOP/s | % of matmul rate |");
        Console.WriteLine("|---|---|---|---|---|");
        Console.WriteLine(
            $"| EK-FAC factor fitting, {factorExamples} x {length} tokens | {tFactors:F2} | {tokens / tFactors:F0} "
                + $"tokens/s | {factorFlops / tFactors / 1e9:F1} | {100 * factorFlops / tFactors / 1e9 / rate:F0}% |"
        );
        for (int i = 0; i < rows.Count; i++)
            Console.WriteLine(string.Format(rows[i], $"{100 * scorerFlops[i] / rate:F0}%"));
        Console.WriteLine(
            $"scoring time vs training examples (8 queries): 8 -> {timesBySize[8]:F2}s, 16 -> "
                + $"{timesBySize[16]:F2}s, 32 -> {timesBySize[32]:F2}s (ratio 32/16 = "
                + $"{timesBySize[32] / timesBySize[16]:F2}, 16/8 = {timesBySize[16] / timesBySize[8]:F2})"
        );
        Console.WriteLine(
            "factor fitting by stage: " + string.Join(", ", fit.StageSeconds.Select(kv => $"{kv.Key} {kv.Value:F1}s"))
        );
        Console.WriteLine(
            $"peak memory (VmHWM): after factors {peakFactors / (1 << 20)} MiB, end {PeakRssBytes() / (1 << 20)} MiB"
        );
        // The planner's model (what --max-memory uses) of these runs, beside the measurement.
        var plan = MemoryPlanner.Plan(
            Config,
            new PlanArguments
            {
                TokensPerBatch = 4 * length,
                SequenceLength = length,
                Examples = factorExamples,
                Queries = 64,
            }
        );
        long fitting = plan
            .Stages.Where(x => x.Name != MemoryPlanner.Queries && x.Name != MemoryPlanner.Scores)
            .Max(x => x.PeakBytes);
        Console.WriteLine(
            $"planner (infra plan): factor fitting "
                + $"{fitting / (1 << 20)} MiB, "
                + $"scoring with 64 queries {plan.Stage(MemoryPlanner.Scores).PeakBytes / (1 << 20)} MiB"
        );
        Directory.Delete(dir, true);
    }

    private static readonly List<double> scorerFlops = [];
}
