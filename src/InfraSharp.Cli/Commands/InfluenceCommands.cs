using System.CommandLine;
using System.Text.Json.Nodes;
using InfraSharp.Influence;
using InfraSharp.Models;
using InfraSharp.Storage;
using InfraSharp.Text;

namespace InfraSharp.Cli.Commands;

/// <summary><c>infra factors</c>, <c>infra scores pairwise|self</c>, <c>infra merge</c>.</summary>
public static class InfluenceCommands
{
    public const string Version = "0.1";

    private static List<EncodedExample> Encode(Tokenizer tok, CausalLM lm, string path, int max = 0)
    {
        var list = new ExampleEncoder(tok, new EncodeOptions { MaxLength = lm.Config.MaxPositionEmbeddings }).EncodeFile(path);
        if (list.Count == 0) throw new ArgumentException($"{path}: the dataset is empty");
        return max > 0 ? list.Take(max).ToList() : list;
    }

    private static Option<string?> MaxMemoryOption() => new("--max-memory") { Description = "Memory bound, e.g. 4G or 512M (sets the tokens per batch)" };

    private static long? ParseBytes(string? s)
    {
        if (string.IsNullOrWhiteSpace(s)) return null;
        s = s.Trim().ToUpperInvariant();
        long mult = s.EndsWith('G') ? 1L << 30 : s.EndsWith('M') ? 1L << 20 : s.EndsWith('K') ? 1L << 10 : 1;
        string num = mult == 1 ? s : s[..^1];
        return double.TryParse(num, System.Globalization.CultureInfo.InvariantCulture, out var v) && v > 0 ? (long)(v * mult)
            : throw new ArgumentException($"--max-memory '{s}' is not a size such as 4G or 512M");
    }

    public static Command Factors()
    {
        var model = new Option<string>("--model") { Required = true, Description = "Model folder" };
        var data = new Option<string>("--data") { Required = true, Description = "Training rows the factors are fitted on" };
        var output = new Option<string>("--out") { Required = true, Description = "Factor folder" };
        var strategy = new Option<string>("--strategy") { DefaultValueFactory = _ => "ekfac", Description = "identity | diagonal | kfac | ekfac" };
        var fisher = new Option<string>("--fisher") { DefaultValueFactory = _ => "empirical", Description = "empirical (true labels) | sampled (labels drawn from the model, seeded)" };
        var modules = new Option<string>("--modules") { DefaultValueFactory = _ => "all", Description = "all | mlp | attn | a regex over module names" };
        var maxEx = new Option<int>("--max-examples") { Description = "Fit on at most this many examples" };
        var seed = new Option<long>("--seed") { Description = "Seed of the sampled Fisher" };
        var partition = new Option<string?>("--partition") { Description = "i/n: fit one slice of the data (merge with infra merge)" };
        var tokens = new Option<int>("--tokens-per-batch") { DefaultValueFactory = _ => 4096, Description = "Padded tokens per batch" };
        var maxMem = MaxMemoryOption();
        var cmd = new Command("factors", "Fit influence factors: covariances, eigenbases (float64) and eigenvalue corrections, stage by stage, resumable.")
        { model, data, output, strategy, fisher, modules, maxEx, seed, partition, tokens, maxMem };
        cmd.SetAction(p => CliRunner.Run(() =>
        {
            string dir = p.GetValue(model)!, outDir = p.GetValue(output)!;
            var tok = Tokenizer.Load(dir);
            using var lm = ModelLoader.Load(dir);
            var strat = InfluenceStrategy.Get(p.GetValue(strategy)!);
            var mods = TrackedModules.Resolve(lm.Config, p.GetValue(modules));
            var fisherMode = p.GetValue(fisher) switch
            {
                "empirical" => FisherMode.Empirical, "sampled" => FisherMode.Sampled,
                var f => throw new ArgumentException($"--fisher '{f}' must be empirical or sampled"),
            };
            var train = Encode(tok, lm, p.GetValue(data)!, p.GetValue(maxEx));
            int tpb = ParseBytes(p.GetValue(maxMem)) is long mb ? MemoryBudget.TokensPerBatch(lm.Config, mods, mb) : p.GetValue(tokens);
            tpb = Math.Max(tpb, train.Max(e => e.Length));
            var args = new FactorArguments
            {
                Strategy = strat.Name, Fisher = fisherMode, Modules = mods.Selector, Seed = p.GetValue(seed),
                MaxExamples = p.GetValue(maxEx), TokensPerBatch = tpb,
            };
            var manifest = new JsonObject
            {
                ["kind"] = "factors",
                ["infrasharp"] = Version,
                ["model"] = new JsonObject { ["path"] = Path.GetFullPath(dir), ["fingerprint"] = Fingerprint.Model(dir) },
                ["tokenizer_fingerprint"] = Fingerprint.Tokenizer(dir),
                ["data"] = new JsonObject
                {
                    ["path"] = Path.GetFullPath(p.GetValue(data)!), ["hash"] = Fingerprint.Examples(train),
                    ["examples"] = train.Count, ["tokens"] = train.Sum(e => (long)e.Length),
                },
                ["arguments"] = new JsonObject
                {
                    ["strategy"] = strat.Name, ["fisher"] = fisherMode.ToString().ToLowerInvariant(), ["modules"] = mods.Selector,
                    ["seed"] = args.Seed, ["max_examples"] = args.MaxExamples,
                },
                ["modules"] = new JsonArray(mods.Names.Select(n => (JsonNode)n).ToArray()),
                ["conventions"] = "covariance.safetensors holds sums over real tokens of a·aᵀ and g·gᵀ (g: gradient of each example's summed loss w.r.t. the layer output; a with a trailing 1 for layers with a bias) and num_tokens; lambda.safetensors holds sums over examples and num_examples; eigen.safetensors holds float32 eigenpairs of the symmetrised means, computed in float64.",
            };
            CheckCompatible(outDir, manifest);
            var r = new FactorFitter(lm, mods, strat, args, tok.PadId ?? 0).Fit(train, outDir, Partition.Parse(p.GetValue(partition)), manifest);
            Console.Error.WriteLine(r.Message);
            return 0;
        }));
        return cmd;
    }

    /// <summary>An existing factor folder must come from the same model, data and arguments; else refuse to mix.</summary>
    private static void CheckCompatible(string outDir, JsonObject manifest)
    {
        var old = FactorFiles.ReadManifest(outDir);
        if (old is null) return;
        foreach (var key in new[] { "model", "data", "arguments", "modules" })
        {
            string a = old[key]?.ToJsonString() ?? "", b = manifest[key]?.ToJsonString() ?? "";
            if (key == "model") { a = old["model"]?["fingerprint"]?.ToString() ?? ""; b = manifest["model"]!["fingerprint"]!.ToString(); }
            if (key == "data") { a = old["data"]?["hash"]?.ToString() ?? ""; b = manifest["data"]!["hash"]!.ToString(); }
            if (a != b) throw new InvalidDataException($"{outDir} already holds factors with a different {key}; use a new folder (or delete it)");
        }
    }

    public static Command Scores()
    {
        var cmd = new Command("scores", "Influence scores from fitted factors: pairwise (queries x train, optionally per token) or self.");
        cmd.Subcommands.Add(ScoresCommand(self: false));
        cmd.Subcommands.Add(ScoresCommand(self: true));
        return cmd;
    }

    private static Command ScoresCommand(bool self)
    {
        var model = new Option<string>("--model") { Required = true, Description = "Model folder (must be the one the factors were fitted on)" };
        var factors = new Option<string?>("--factors") { Description = "Factor folder (not needed for --strategy identity)" };
        var train = new Option<string>("--train") { Required = true, Description = "Training rows to score" };
        var queries = new Option<string?>("--queries") { Description = "Query rows (pairwise)" };
        var output = new Option<string>("--out") { Required = true, Description = "Score folder" };
        var strategy = new Option<string?>("--strategy") { Description = "Override the factors' strategy (one whose factors are present)" };
        var damping = new Option<double?>("--damping") { Description = "Damping added to the eigenvalues (default: 0.1 x their mean per module; 1e-8 = kronfluence's default)" };
        var perToken = new Option<bool>("--per-token") { Description = "Also split each score over the training tokens" };
        var rank = new Option<int>("--query-rank") { Description = "Keep preconditioned query gradients at rank R (randomized SVD)" };
        var measurement = new Option<string>("--measurement") { DefaultValueFactory = _ => "loss", Description = "loss (summed query loss) | mean-logprob (Infra's mean log-likelihood of the answers)" };
        var aggregate = new Option<bool>("--aggregate-queries") { Description = "Score against the query set as one target" };
        var partition = new Option<string?>("--partition") { Description = "i/n: score one slice of the training data (merge with infra merge)" };
        var tokens = new Option<int>("--tokens-per-batch") { DefaultValueFactory = _ => 4096, Description = "Padded tokens per batch" };
        var chunk = new Option<int>("--chunk-size") { DefaultValueFactory = _ => 256, Description = "Training examples per resumable chunk" };
        var maxMem = MaxMemoryOption();
        var precision = new Option<string>("--precision") { DefaultValueFactory = _ => "float32", Description = "Dtype of the preconditioner's rotations: float32 | float64" };
        var cmd = new Command(self ? "self" : "pairwise", self ? "Self-influence of every training example." : "Pairwise influence of training examples on queries.")
        { model, factors, train, output, strategy, damping, partition, tokens, chunk, maxMem, precision };
        if (!self) { cmd.Options.Add(queries); cmd.Options.Add(perToken); cmd.Options.Add(rank); cmd.Options.Add(measurement); cmd.Options.Add(aggregate); }
        cmd.SetAction(p => CliRunner.Run(() =>
        {
            string dir = p.GetValue(model)!, outDir = p.GetValue(output)!;
            var tok = Tokenizer.Load(dir);
            using var lm = ModelLoader.Load(dir);
            string? fdir = p.GetValue(factors);
            var fman = fdir is null ? null : FactorFiles.ReadManifest(fdir) ?? throw new FileNotFoundException($"{fdir}: no manifest.json (not a factor folder)");
            string fingerprint = Fingerprint.Model(dir);
            if (fman is not null && fman["model"]?["fingerprint"]?.ToString() != fingerprint)
                throw new InvalidDataException($"{fdir}: these factors were fitted for another model ({fman["model"]?["path"]}); refit them for {dir}");
            var strat = InfluenceStrategy.Get(p.GetValue(strategy) ?? fman?["arguments"]?["strategy"]?.ToString() ?? "identity");
            if (strat.NeedsAnyFactor && fman is null) throw new ArgumentException($"strategy {strat.Name} needs --factors");
            var mods = fman is null ? TrackedModules.Resolve(lm.Config, "all")
                : new TrackedModules(fman["arguments"]!["modules"]!.ToString(), fman["modules"]!.AsArray().Select(x => x!.ToString()).ToList());
            foreach (var m in mods.Names)
                if (!lm.Config.LinearModuleNames().Contains(m))
                    throw new InvalidDataException($"{fdir}: module '{m}' of the factors does not exist in {dir}");
            var fs = strat.NeedsAnyFactor ? FactorFitter.Load(fdir!, mods.Names, strat) : mods.Names.ToDictionary(m => m, m => new ModuleFactors { Module = m });
            var trainEx = Encode(tok, lm, p.GetValue(train)!);
            var queryEx = self ? [] : Encode(tok, lm, p.GetValue(queries) ?? throw new ArgumentException("pairwise scores need --queries"));
            var meas = self ? Measurement.Loss : p.GetValue(measurement) switch
            {
                "loss" => Measurement.Loss, "mean-logprob" => Measurement.MeanLogProb,
                var m => throw new ArgumentException($"--measurement '{m}' must be loss or mean-logprob"),
            };
            int qRank = self ? 0 : p.GetValue(rank);
            int tpb = p.GetValue(tokens);
            if (ParseBytes(p.GetValue(maxMem)) is long mb)
                tpb = MemoryBudget.TokensPerBatch(lm.Config, mods, mb, MemoryBudget.QueryBytes(lm.Config, mods, Math.Max(1, queryEx.Count), qRank));
            tpb = Math.Max(tpb, Math.Max(trainEx.Max(e => e.Length), queryEx.Count > 0 ? queryEx.Max(e => e.Length) : 0));
            var args = new ScoreArguments
            {
                Damping = p.GetValue(damping), Measurement = meas, AggregateQueries = !self && p.GetValue(aggregate),
                PerToken = !self && p.GetValue(perToken), QueryRank = qRank, TokensPerBatch = tpb, ChunkSize = p.GetValue(chunk),
                Precision = p.GetValue(precision) switch
                {
                    "float32" => TorchSharp.torch.ScalarType.Float32, "float64" => TorchSharp.torch.ScalarType.Float64,
                    var x => throw new ArgumentException($"--precision '{x}' must be float32 or float64"),
                },
            };
            Directory.CreateDirectory(outDir);
            var manifest = new JsonObject
            {
                ["kind"] = self ? "self_scores" : "pairwise_scores",
                ["infrasharp"] = Version,
                ["model"] = new JsonObject { ["path"] = Path.GetFullPath(dir), ["fingerprint"] = fingerprint },
                ["factors"] = fdir is null ? null : Path.GetFullPath(fdir),
                ["strategy"] = strat.Name,
                ["modules"] = new JsonArray(mods.Names.Select(n => (JsonNode)n).ToArray()),
                ["damping"] = args.Damping is double d ? d : "heuristic: 0.1 x mean eigenvalue per module",
                ["measurement"] = meas == Measurement.Loss ? "loss" : "mean-logprob",
                ["aggregate_queries"] = args.AggregateQueries,
                ["query_rank"] = args.QueryRank,
                ["precision"] = args.Precision == TorchSharp.torch.ScalarType.Float64 ? "float64" : "float32",
                ["train"] = new JsonObject { ["path"] = Path.GetFullPath(p.GetValue(train)!), ["hash"] = Fingerprint.Examples(trainEx), ["examples"] = trainEx.Count },
                ["queries"] = self ? null : new JsonObject { ["path"] = Path.GetFullPath(p.GetValue(queries)!), ["hash"] = Fingerprint.Examples(queryEx), ["examples"] = queryEx.Count },
                ["sign"] = "positive = up-weighting the training example improves the query (lowers its loss / raises its log-likelihood)",
            };
            ScoreFiles.Prepare(outDir, manifest);
            ScoreFiles.WriteExamples(outDir, queryEx, trainEx);
            var part = Partition.Parse(p.GetValue(partition));
            // Chunks are cut at the global batch plan's boundaries and shared out whole to partitions.
            var allChunks = TokenBatches.Chunks(trainEx, args.TokensPerBatch, args.ChunkSize);
            if (part.Count > allChunks.Count)
                throw new ArgumentException($"--partition {part}: only {allChunks.Count} chunks to share; lower --chunk-size or use fewer partitions");
            var (c0, c1) = part.Range(allChunks.Count);
            var chunks = allChunks.GetRange(c0, c1 - c0);
            var scorer = new InfluenceScorer(lm, mods, strat, fs, args, tok.PadId ?? 0);
            if (self)
            {
                ScoreFiles.RunChunks(outDir, "self", chunks, (s, e) => [KeyValuePair.Create("scores", scorer.SelfScores(trainEx, s, e))]);
                if (ScoreFiles.Assemble(outDir, "self", trainEx.Count, throwIfIncomplete: part.IsWhole)) Console.Error.WriteLine($"wrote {Path.Combine(outDir, "self.safetensors")}");
                return 0;
            }
            int width = trainEx.Max(e => e.Length);
            using var pq = scorer.PrepareQueries(queryEx);
            ScoreFiles.RunChunks(outDir, "pairwise", chunks, (s, e) =>
            {
                var (pw, pt) = scorer.ScoreTraining(pq, trainEx, s, e, width);
                var list = new List<KeyValuePair<string, TorchSharp.torch.Tensor>> { KeyValuePair.Create("scores", pw) };
                if (pt is not null) list.Add(KeyValuePair.Create("per_token", pt));
                return list;
            });
            if (ScoreFiles.Assemble(outDir, "pairwise", trainEx.Count, throwIfIncomplete: part.IsWhole))
                Console.Error.WriteLine($"wrote {Path.Combine(outDir, "pairwise.safetensors")}");
            else Console.Error.WriteLine($"partition {part} done; when all are: infra merge --scores {outDir}");
            return 0;
        }));
        return cmd;
    }

    public static Command Merge()
    {
        var factors = new Option<string?>("--factors") { Description = "Factor folder whose partitions to merge (sums)" };
        var scores = new Option<string?>("--scores") { Description = "Score folder whose partitions to merge (concatenation)" };
        var cmd = new Command("merge", "Combine partitions into exactly the single-run result.") { factors, scores };
        cmd.SetAction(p => CliRunner.Run(() =>
        {
            if (p.GetValue(factors) is string f)
            {
                bool any = false;
                foreach (var stage in new[] { FactorFiles.Covariance, FactorFiles.Lambda })
                    if (!File.Exists(FactorFiles.StagePath(f, stage)) && FactorFiles.MergePartitions(f, stage)) { any = true; Console.Error.WriteLine($"merged {stage} partitions in {f}"); }
                if (!any) Console.Error.WriteLine($"{f}: nothing to merge");
            }
            if (p.GetValue(scores) is string s)
            {
                int n = ScoreFiles.ReadExamples(s).Train.Count;
                bool done = false;
                foreach (var kind in new[] { "pairwise", "self" })
                    if (Directory.Exists(Path.Combine(s, "chunks")) && Directory.GetFiles(Path.Combine(s, "chunks"), kind + "-*").Length > 0)
                        done |= ScoreFiles.Assemble(s, kind, n, throwIfIncomplete: true);
                if (!done) Console.Error.WriteLine($"{s}: nothing to merge");
            }
            if (p.GetValue(factors) is null && p.GetValue(scores) is null) throw new ArgumentException("give --factors or --scores");
            return 0;
        }));
        return cmd;
    }
}
