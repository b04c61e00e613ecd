using System.Diagnostics;
using System.Text.Json.Nodes;
using InfraSharp.Influence;
using InfraSharp.Models;
using InfraSharp.Storage;

namespace InfraSharp.Bench;

/// <summary>
/// The memory planner against measured peak RSS: for three model shapes, each influence stage runs as its own
/// <c>infra</c> process under <c>/usr/bin/time -v</c> (so the peak is that stage's), beside the planner's peak for
/// the same arguments and batch size. The planner should land within ±25% of the measurement.
/// </summary>
public static class PlannerCheck
{
    private sealed record Case(
        string Name,
        string Shape,
        int Vocab,
        string Modules,
        ComputeDType DType,
        int Length,
        int Batch
    );

    private static readonly Case[] Cases =
    [
        new(
            "A: 8 x 512, vocab 32k, all modules, f32",
            "layers=8,hidden=512,heads=8,kv_heads=2,mlp=1536",
            32000,
            "all",
            ComputeDType.Float32,
            256,
            4
        ),
        new(
            "B: 12 x 768, vocab 152k, mlp, f32",
            "layers=12,hidden=768,heads=12,kv_heads=4,mlp=3072",
            151936,
            "mlp",
            ComputeDType.Float32,
            512,
            2
        ),
        new(
            "C: 8 x 1024, vocab 64k, mlp, bf16",
            "layers=8,hidden=1024,heads=16,kv_heads=4,mlp=2816",
            64000,
            "mlp",
            ComputeDType.BFloat16,
            512,
            4
        ),
    ];

    public static void Run(string infraDll, string tokenizerDir, string only = "ABC")
    {
        Console.WriteLine("| shape | stage | planned peak (MiB) | measured peak RSS (MiB) | planned / measured |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var c in Cases.Where(c => only.Contains(c.Name[0])))
        {
            string root = Path.Combine(Path.GetTempPath(), "infra-plan-check", Guid.NewGuid().ToString("N"));
            string model = Path.Combine(root, "model"),
                data = Path.Combine(root, "train.jsonl"),
                queries = Path.Combine(root, "q.jsonl");
            var config = ModelShape.Parse(c.Shape, c.Vocab, [0], null);
            using (var m = CausalLM.Initialize(config, seed: 1))
                CheckpointWriter.Save(m, model, tokenizerDir, bf16: c.DType == ComputeDType.BFloat16);
            WriteRows(data, 4 * c.Batch, c.Length, c.Vocab, 1);
            WriteRows(queries, 4, c.Length, c.Vocab, 2);
            int tokens = c.Batch * c.Length;
            var plan = MemoryPlanner.Plan(
                ModelConfig.Load(model),
                new PlanArguments
                {
                    Modules = ModuleSelection.Parse(c.Modules),
                    TokensPerBatch = tokens,
                    SequenceLength = c.Length,
                    Examples = 4 * c.Batch,
                    Queries = 4,
                    DType = c.DType,
                }
            );
            string dtype = c.DType == ComputeDType.BFloat16 ? "bfloat16" : "float32";
            string[] common =
            [
                "--model",
                model,
                "--modules",
                c.Modules,
                "--tokens-per-batch",
                tokens.ToString(),
                "--dtype",
                dtype,
            ];
            foreach (var stage in new[] { "covariance", "eigen", "lambda" })
                Report(
                    c.Name,
                    stage,
                    plan.Stage(stage).PeakBytes,
                    Measure(
                        infraDll,
                        ["factors", .. common, "--data", data, "--out", Path.Combine(root, "f"), "--stage", stage]
                    )
                );
            long scores = Math.Max(
                plan.Stage(MemoryPlanner.Queries).PeakBytes,
                plan.Stage(MemoryPlanner.Scores).PeakBytes
            );
            var args = new List<string> { "scores", "pairwise" };
            args.AddRange(common.Where(a => a != "--modules" && a != c.Modules));
            args.AddRange([
                "--factors",
                Path.Combine(root, "f"),
                "--train",
                data,
                "--queries",
                queries,
                "--out",
                Path.Combine(root, "s"),
            ]);
            Report(c.Name, "queries + scores", scores, Measure(infraDll, args.ToArray()));
            Directory.Delete(root, true);
        }
    }

    private static void Report(string shape, string stage, long planned, long measured) =>
        Console.WriteLine(
            $"| {shape} | {stage} | {planned >> 20} | {measured >> 20} | {(double)planned / measured:F2} |"
        );

    private static void WriteRows(string path, int n, int length, int vocab, int seed)
    {
        var rng = new Random(seed);
        JsonlFile.Write(
            path,
            Enumerable
                .Range(0, n)
                .Select(i =>
                {
                    // Ids the tokenizer knows (the real Qwen2.5 one has 151665), within the model's vocabulary.
                    var ids = new JsonArray(
                        Enumerable.Range(0, length).Select(_ => (JsonNode)rng.Next(Math.Min(vocab, 151643))).ToArray()
                    );
                    return new JsonObject
                    {
                        ["id"] = $"x{i}",
                        ["input_ids"] = ids,
                        ["labels"] = ids.DeepClone(),
                    };
                })
        );
    }

    /// <summary>Peak RSS in bytes of one <c>infra</c> run, from <c>/usr/bin/time -v</c>.</summary>
    private static long Measure(string infraDll, string[] args)
    {
        string timeFile = Path.GetTempFileName();
        var psi = new ProcessStartInfo("/usr/bin/time") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-v", "-o", timeFile, "dotnet", infraDll }.Concat(args))
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"infra {string.Join(' ', args)} failed: {err.Result}");
        var line = File.ReadLines(timeFile).First(l => l.Contains("Maximum resident set size"));
        File.Delete(timeFile);
        return long.Parse(line.Split(':')[1].Trim()) * 1024;
    }
}
