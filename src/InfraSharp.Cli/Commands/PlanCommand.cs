using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using InfraSharp.Cli.Binding;
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
        var binder = new PlanArgumentsBinder();
        var json = new Option<bool>("--json") { Description = "Print the plan as one JSON object" };
        var cmd = new Command(
            "plan",
            "Plan the memory of the influence runs from config.json: resident pieces per stage, peak, disk, FLOPs."
        )
        {
            model,
            shape,
        };
        binder.AddTo(cmd);
        cmd.Options.Add(json);
        cmd.SetAction(p =>
            CliRunner.Run(
                () =>
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
                    var plan = MemoryPlanner.Plan(config, binder.Bind(p));
                    Console.WriteLine(
                        p.GetValue(json)
                            ? Json(plan, source).ToJsonString(new JsonSerializerOptions { WriteIndented = true })
                            : Text(plan, source)
                    );
                    return 0;
                },
                flags: binder.Flags
            )
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
            $"plan for {source}: {EnumNames.Of(a.Strategy)} on '{a.Modules}' modules, {a.DType} model, "
                + $"{a.StatisticsDType} statistics, "
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
