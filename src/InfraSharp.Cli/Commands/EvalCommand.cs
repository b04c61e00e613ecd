using System.CommandLine;
using InfraSharp.Evaluation;
using InfraSharp.Models;
using InfraSharp.Text;
using TorchSharp;

namespace InfraSharp.Cli.Commands;

/// <summary><c>infra eval math|code</c>: generate (or read) samples, grade them, write results and a summary.</summary>
public static class EvalCommand
{
    private sealed record GenOptions(Option<string?> Model, Option<int> N, Option<double?> Temperature, Option<double> TopP,
        Option<long> Seed, Option<int> MaxNew, Option<int> Batch);

    private static GenOptions AddGenerationOptions(Command cmd)
    {
        var g = new GenOptions(
            new Option<string?>("--model") { Description = "Model folder to generate with (else give --samples)" },
            new Option<int>("--n") { Description = "Samples per problem (n > 1 needs --temperature)", DefaultValueFactory = _ => 1 },
            new Option<double?>("--temperature") { Description = "Sample with this temperature (default: greedy)" },
            new Option<double>("--top-p") { Description = "Nucleus sampling mass", DefaultValueFactory = _ => 1.0 },
            new Option<long>("--seed") { Description = "Sampling seed", DefaultValueFactory = _ => 0 },
            new Option<int>("--max-new-tokens") { Description = "Most new tokens per sample", DefaultValueFactory = _ => 512 },
            new Option<int>("--batch-size") { Description = "Prompts decoded together", DefaultValueFactory = _ => 16 });
        cmd.Options.Add(g.Model); cmd.Options.Add(g.N); cmd.Options.Add(g.Temperature); cmd.Options.Add(g.TopP);
        cmd.Options.Add(g.Seed); cmd.Options.Add(g.MaxNew); cmd.Options.Add(g.Batch);
        return g;
    }

    private static List<Evaluator.Completion> Generate(ParseResult p, GenOptions g, List<DataRow> problems)
    {
        string dir = p.GetValue(g.Model)!;
        var tok = Tokenizer.Load(dir);
        using var lm = ModelLoader.Load(dir);
        var opts = new GenerationOptions
        {
            MaxNewTokens = p.GetValue(g.MaxNew), Greedy = p.GetValue(g.Temperature) is null,
            Temperature = p.GetValue(g.Temperature) ?? 1.0, TopP = p.GetValue(g.TopP), Seed = p.GetValue(g.Seed),
            StopTokenIds = TextGenerator.StopTokens(dir, lm.Config, tok.EosId), PadTokenId = tok.PadId ?? 0,
        };
        return Evaluator.Complete(lm, tok, problems, opts, p.GetValue(g.N), p.GetValue(g.Batch));
    }

    public static Command Build()
    {
        var cmd = new Command("eval", "Evaluate math (answer checking) or code (sandboxed execution): accuracy and pass@k by domain and difficulty.");
        cmd.Subcommands.Add(BuildMath());
        cmd.Subcommands.Add(BuildCode());
        return cmd;
    }

    private static Command BuildMath()
    {
        var cmd = new Command("math", "Grade math answers: \\boxed{}, ####, 'the answer is', last number; normalised and compared exactly.");
        var data = new Option<string?>("--data") { Description = "Problems (rows with messages or prompt, and answer); with --model" };
        var samples = new Option<string?>("--samples") { Description = "Rows with answer and completion (no model needed)" };
        var output = new Option<string>("--out") { Description = "Output folder: results.jsonl, summary.json, summary.md", Required = true };
        cmd.Options.Add(data); cmd.Options.Add(samples); cmd.Options.Add(output);
        var g = AddGenerationOptions(cmd);
        cmd.SetAction(p => CliRunner.Run(() =>
        {
            List<DataRow> problems; List<Evaluator.Completion> completions;
            if (p.GetValue(samples) is string s)
            {
                var rows = DatasetReader.Read(s).ToList();
                completions = Evaluator.ReadSamples(s);
                problems = rows.GroupBy(Evaluator.ProblemId).Select(x => x.First()).ToList();
            }
            else if (p.GetValue(g.Model) is not null && p.GetValue(data) is string d)
            {
                problems = DatasetReader.Read(d).ToList();
                completions = Generate(p, g, problems);
            }
            else throw new ArgumentException("give --model and --data, or --samples");
            var results = Evaluator.GradeMath(problems, completions);
            Finish(p.GetValue(output)!, results);
            return 0;
        }));
        return cmd;
    }

    private static Command BuildCode()
    {
        var cmd = new Command("code", "Run code samples against their tests in a sandbox (separate python3, time and memory limits, no network).");
        var problemsOpt = new Option<string>("--problems") { Description = "Problems: HumanEval form (prompt, test, entry_point) or prose with test / stdin-stdout cases (.jsonl, .jsonl.gz)", Required = true };
        var samples = new Option<string?>("--samples") { Description = "Samples in HumanEval's format (task_id, completion)" };
        var output = new Option<string>("--out") { Description = "Output folder: results.jsonl, summary.json, summary.md", Required = true };
        var timeout = new Option<double>("--timeout") { Description = "Seconds per sample", DefaultValueFactory = _ => 10 };
        var memory = new Option<int>("--memory-mb") { Description = "Address-space limit per sample (MiB)", DefaultValueFactory = _ => 1024 };
        var parallel = new Option<int>("--parallel") { Description = "Samples run at once (default: CPU count)" };
        cmd.Options.Add(problemsOpt); cmd.Options.Add(samples); cmd.Options.Add(output);
        cmd.Options.Add(timeout); cmd.Options.Add(memory); cmd.Options.Add(parallel);
        var g = AddGenerationOptions(cmd);
        cmd.SetAction(p => CliRunner.Run(() =>
        {
            var problems = DatasetReader.Read(p.GetValue(problemsOpt)!).ToList();
            List<Evaluator.Completion> completions =
                p.GetValue(samples) is string s ? Evaluator.ReadSamples(s)
                : p.GetValue(g.Model) is not null ? Generate(p, g, problems)
                : throw new ArgumentException("give --model or --samples");
            var limits = new SandboxLimits { WallTime = TimeSpan.FromSeconds(p.GetValue(timeout)), MemoryBytes = (long)p.GetValue(memory) << 20 };
            var results = Evaluator.GradeCode(problems, completions, limits, p.GetValue(parallel));
            Finish(p.GetValue(output)!, results);
            return 0;
        }));
        return cmd;
    }

    private static void Finish(string outDir, List<SampleResult> results)
    {
        var summary = EvalSummary.Compute(results);
        summary.Write(outDir, results);
        Console.WriteLine(summary.ToMarkdown());
    }
}
