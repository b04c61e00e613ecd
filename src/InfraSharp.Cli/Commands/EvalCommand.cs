using System.CommandLine;
using InfraSharp.Evaluation;

namespace InfraSharp.Cli.Commands;

/// <summary><c>infra eval math|code</c>: generate (or read) samples, grade them, write results and a summary.</summary>
public static class EvalCommand
{
    private sealed record Sampling(
        Option<string?> Model,
        Option<int> N,
        Option<double?> Temperature,
        Option<double> TopP,
        Option<long> Seed,
        Option<int> MaxNew,
        Option<int> Batch,
        Option<bool> Overwrite,
        Option<string> Device,
        Option<Models.ComputeDType> DType
    )
    {
        public Storage.RunOptions Options(ParseResult p) =>
            CliRunner.Options with
            {
                Overwrite = p.GetValue(Overwrite),
                Device = p.GetValue(Device)!,
            };

        public SamplingSettings Read(ParseResult p) =>
            new()
            {
                SamplesPerProblem = p.GetValue(N),
                Temperature = p.GetValue(Temperature),
                TopP = p.GetValue(TopP),
                Seed = p.GetValue(Seed),
                MaxNewTokens = p.GetValue(MaxNew),
                BatchSize = p.GetValue(Batch),
            };
    }

    /// <summary>
    /// <see cref="EvaluationRunArguments"/> paths → the flags both subcommands share (the problems' flag differs:
    /// <see cref="Flags"/>), so that a validation message names what the user typed.
    /// </summary>
    private static readonly Dictionary<string, string> SharedFlags = new()
    {
        ["model"] = "--model",
        ["samples"] = "--samples",
        ["dtype"] = "--dtype",
        ["sampling.samples_per_problem"] = "--n",
        ["sampling.temperature"] = "--temperature",
        ["sampling.top_p"] = "--top-p",
        ["sampling.seed"] = "--seed",
        ["sampling.max_new_tokens"] = "--max-new-tokens",
        ["sampling.batch_size"] = "--batch-size",
        ["timeout_seconds"] = "--timeout",
        ["memory_mb"] = "--memory-mb",
        ["parallel"] = "--parallel",
        ["unsafe_no_sandbox"] = "--unsafe-no-sandbox",
    };

    private static Dictionary<string, string> Flags(string problems) => new(SharedFlags) { ["problems"] = problems };

    private static Sampling AddSamplingOptions(Command cmd)
    {
        var g = new Sampling(
            CliOptions.OptionalPath("--model", "Model folder to generate with (else give --samples)"),
            CliOptions.Int("--n", "Samples per problem (n > 1 needs --temperature)", 1),
            CliOptions.OptionalDouble(
                "--temperature",
                "Sample with this temperature (default: greedy)",
                0,
                exclusiveMin: true
            ),
            CliOptions.Double("--top-p", "Nucleus sampling mass", 1.0, 0, 1, exclusiveMin: true),
            CliOptions.Long("--seed", "Sampling seed", 0),
            CliOptions.Int("--max-new-tokens", "Most new tokens per sample", 512),
            CliOptions.Int("--batch-size", "Prompts decoded together", 16),
            CliOptions.Overwrite(),
            CliOptions.Device(),
            CliOptions.DType()
        );
        foreach (
            Option o in new Option[]
            {
                g.Model,
                g.N,
                g.Temperature,
                g.TopP,
                g.Seed,
                g.MaxNew,
                g.Batch,
                g.Overwrite,
                g.Device,
                g.DType,
            }
        )
            cmd.Options.Add(o);
        return g;
    }

    public static Command Build()
    {
        var cmd = new Command(
            "eval",
            "Evaluate math (answer checking) or code (sandboxed execution): accuracy and pass@k by domain and "
                + "difficulty."
        );
        cmd.Subcommands.Add(BuildMath());
        cmd.Subcommands.Add(BuildCode());
        return cmd;
    }

    private static Command BuildMath()
    {
        var cmd = new Command(
            "math",
            "Grade math answers: \\boxed{}, ####, 'the answer is', last number; normalised and compared exactly."
        );
        var data = CliOptions.OptionalPath(
            "--data",
            "Problems (rows with messages or prompt, and answer); with --model"
        );
        var samples = CliOptions.OptionalPath("--samples", "Rows with answer and completion (no model needed)");
        var output = CliOptions.Path("--out", "Output folder: results.jsonl, summary.json, summary.md");
        cmd.Options.Add(data);
        cmd.Options.Add(samples);
        cmd.Options.Add(output);
        var g = AddSamplingOptions(cmd);
        cmd.SetAction(p =>
            CliRunner.Run(
                () =>
                {
                    var summary = EvaluationRun.Run(
                        new EvaluationRunArguments
                        {
                            Domain = EvalDomain.Math,
                            Problems = p.GetValue(data),
                            Samples = p.GetValue(samples),
                            Model = p.GetValue(samples) is null ? p.GetValue(g.Model) : null,
                            Sampling = g.Read(p),
                            DType = p.GetValue(g.DType),
                        },
                        p.GetValue(output)!,
                        g.Options(p)
                    );
                    Console.WriteLine(summary.ToMarkdown());
                    return 0;
                },
                flags: Flags("--data")
            )
        );
        return cmd;
    }

    private static Command BuildCode()
    {
        var cmd = new Command(
            "code",
            "Run code samples against their tests in a sandbox (bubblewrap: no network, no host files; time, memory "
                + "and process limits)."
        );
        var problems = CliOptions.Path(
            "--problems",
            "Problems: HumanEval form (prompt, test, entry_point) or prose with test / stdin-stdout cases (.jsonl, "
                + ".jsonl.gz)"
        );
        var samples = CliOptions.OptionalPath("--samples", "Samples in HumanEval's format (task_id, completion)");
        var output = CliOptions.Path("--out", "Output folder: results.jsonl, summary.json, summary.md");
        var timeout = CliOptions.Double("--timeout", "Seconds per sample", 10, 0, exclusiveMin: true);
        var memory = CliOptions.Int("--memory-mb", "Address-space limit per sample (MiB)", 1024, min: 16);
        var parallel = CliOptions.Int("--parallel", "Samples run at once (0: CPU count)", 0, min: 0);
        var unsafeNoSandbox = new Option<bool>("--unsafe-no-sandbox")
        {
            Description =
                "Run model-written code without bubblewrap (only python3's own limits): for machines where it "
                + "cannot run",
        };
        cmd.Options.Add(problems);
        cmd.Options.Add(samples);
        cmd.Options.Add(output);
        cmd.Options.Add(timeout);
        cmd.Options.Add(memory);
        cmd.Options.Add(parallel);
        cmd.Options.Add(unsafeNoSandbox);
        var g = AddSamplingOptions(cmd);
        cmd.SetAction(p =>
            CliRunner.Run(
                () =>
                {
                    var summary = EvaluationRun.Run(
                        new EvaluationRunArguments
                        {
                            Domain = EvalDomain.Code,
                            Problems = p.GetValue(problems),
                            Samples = p.GetValue(samples),
                            Model = p.GetValue(samples) is null ? p.GetValue(g.Model) : null,
                            Sampling = g.Read(p),
                            TimeoutSeconds = p.GetValue(timeout),
                            MemoryMb = p.GetValue(memory),
                            Parallel = p.GetValue(parallel),
                            UnsafeNoSandbox = p.GetValue(unsafeNoSandbox),
                            DType = p.GetValue(g.DType),
                        },
                        p.GetValue(output)!,
                        g.Options(p)
                    );
                    Console.WriteLine(summary.ToMarkdown());
                    return 0;
                },
                flags: Flags("--problems")
            )
        );
        return cmd;
    }
}
