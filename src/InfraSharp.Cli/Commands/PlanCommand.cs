using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using InfraSharp.Influence;
using InfraSharp.Models;

namespace InfraSharp.Cli.Commands;

/// <summary>
/// <c>infra plan</c>: the memory planner. From a model folder's config.json alone (or a known shape), per stage the
/// bytes of every resident piece, the peak, FLOPs and the bytes the factors run writes; with <c>--max-memory</c>
/// the fewest module partitions and the most tokens per batch that fit (the runs use the same model).
/// </summary>
public static class PlanCommand
{
    public static Command Build()
    {
        var model = CliOptions.OptionalPath("--model", "Model folder (only config.json is read; no weights needed)");
        var shape = CliOptions.OptionalChoice(
            "--shape",
            "A released model's shape instead of --model",
            KnownShapes.Names
        );
        var modules = new Option<string>("--modules")
        {
            DefaultValueFactory = _ => "all",
            Description = "all | mlp | attn | a regex over module names",
        };
        var strategy = CliOptions.Choice(
            "--strategy",
            "Influence strategy",
            "ekfac",
            InfluenceStrategy.Registry.Keys.ToList()
        );
        var tokens = CliOptions.Int(
            "--tokens-per-batch",
            "Padded tokens per batch (the most; lowered to fit --max-memory)",
            4096
        );
        var length = CliOptions.Int("--sequence-length", "Tokens per sequence", 512);
        var examples = CliOptions.Int("--examples", "Training examples (for FLOPs and score files)", 0, min: 0);
        var queries = CliOptions.Int(
            "--queries",
            "Query examples scored against (0: plan the factors only)",
            0,
            min: 0
        );
        var rank = CliOptions.Int("--query-rank", "Rank of the preconditioned query gradients (0: full)", 0, min: 0);
        var parts = new Option<int?>("--module-partitions")
        {
            Description = "Module groups (default: the fewest that fit --max-memory)",
        };
        parts.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is int k && k < 1)
                r.AddError($"--module-partitions must be at least 1 (got {k})");
        });
        var chunk = CliOptions.Int("--chunk-size", "Training examples per score chunk", 256);
        var (dtype, statDtype) = (CliOptions.DType(), CliOptions.StatisticsDType());
        var maxMem = CliOptions.Bytes("--max-memory", "Memory bound to fit, e.g. 16GiB");
        var json = new Option<bool>("--json") { Description = "Print the plan as one JSON object" };
        var cmd = new Command(
            "plan",
            "Plan the memory of the influence runs from config.json: resident pieces per stage, peak, disk, FLOPs."
        )
        {
            model,
            shape,
            modules,
            strategy,
            tokens,
            length,
            examples,
            queries,
            rank,
            parts,
            chunk,
            dtype,
            statDtype,
            maxMem,
            json,
        };
        cmd.SetAction(p =>
            CliRunner.Run(() =>
            {
                ModelConfig config;
                string source;
                if (p.GetValue(shape) is string named)
                {
                    if (p.GetValue(model) is not null)
                        throw InputError.Argument("give --model or --shape, not both");
                    (config, source) = (KnownShapes.Get(named), named);
                }
                else if (p.GetValue(model) is string dir)
                {
                    LoadedModel.RequireFolder(dir, "--model");
                    (config, source) = (ModelConfig.Load(dir), dir);
                }
                else
                    throw InputError.Argument("give --model (a folder with config.json) or --shape");
                var plan = MemoryPlanner.Plan(
                    config,
                    new PlanArguments
                    {
                        Modules = p.GetValue(modules)!,
                        Strategy = p.GetValue(strategy)!,
                        TokensPerBatch = p.GetValue(tokens),
                        SequenceLength = p.GetValue(length),
                        Examples = p.GetValue(examples),
                        Queries = p.GetValue(queries),
                        QueryRank = p.GetValue(rank),
                        ModulePartitions = p.GetValue(parts),
                        ChunkSize = p.GetValue(chunk),
                        DType = p.GetValue(dtype),
                        StatisticsDType = p.GetValue(statDtype),
                        MaxMemoryBytes = p.GetValue(maxMem),
                    }
                );
                Console.WriteLine(
                    p.GetValue(json)
                        ? Json(plan, source).ToJsonString(new JsonSerializerOptions { WriteIndented = true })
                        : Text(plan, source)
                );
                return 0;
            })
        );
        return cmd;
    }

    public static JsonObject Json(MemoryPlan plan, string source) =>
        new()
        {
            ["model"] = source,
            ["peak_bytes"] = plan.PeakBytes,
            ["module_partitions"] = plan.ModulePartitions,
            ["tokens_per_batch"] = plan.TokensPerBatch,
            ["factors_disk_bytes"] = plan.FactorsDiskBytes,
            ["scores_disk_bytes"] = plan.ScoresDiskBytes,
            ["max_memory_bytes"] = plan.Arguments.MaxMemoryBytes,
            ["fits"] = plan.Fits,
            ["stages"] = new JsonArray(
                plan.Stages.Select(s =>
                        (JsonNode)
                            new JsonObject
                            {
                                ["name"] = s.Name,
                                ["peak_bytes"] = s.PeakBytes,
                                ["flops"] = s.Flops,
                                ["pieces"] = new JsonArray(
                                    s.Pieces.Select(x =>
                                            (JsonNode)new JsonObject { ["name"] = x.Name, ["bytes"] = x.Bytes }
                                        )
                                        .ToArray()
                                ),
                            }
                    )
                    .ToArray()
            ),
        };

    public static string Text(MemoryPlan plan, string source)
    {
        var a = plan.Arguments;
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine(
            $"plan for {source}: {a.Strategy} on '{a.Modules}' modules, {a.DType} model, {a.StatisticsDType} "
                + $"statistics, "
                + $"sequences of {a.SequenceLength} tokens"
        );
        sb.AppendLine(
            $"module partitions {plan.ModulePartitions}, tokens per batch {plan.TokensPerBatch}"
                + (
                    a.MaxMemoryBytes is long m
                        ? $" (the fewest partitions and the most tokens that fit --max-memory {MemoryPlanner.Size(m)})"
                        : ""
                )
        );
        foreach (var s in plan.Stages)
        {
            sb.AppendLine();
            sb.AppendLine(
                string.Create(inv, $"{s.Name}: peak {MemoryPlanner.Size(s.PeakBytes)}, {s.Flops / 1e12:F2} TFLOP")
            );
            foreach (var x in s.Pieces)
                sb.AppendLine($"  {x.Name, -32} {MemoryPlanner.Size(x.Bytes), 12}");
        }
        sb.AppendLine();
        sb.AppendLine(
            $"peak {MemoryPlanner.Size(plan.PeakBytes)} ({plan.Stages.MaxBy(s => s.PeakBytes)!.Name}); "
                + $"factors on disk {MemoryPlanner.Size(plan.FactorsDiskBytes)}; pairwise scores on disk "
                + $"{MemoryPlanner.Size(plan.ScoresDiskBytes)}"
        );
        return sb.ToString().TrimEnd();
    }
}
