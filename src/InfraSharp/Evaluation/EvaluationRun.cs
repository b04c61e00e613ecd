using InfraSharp.Models;
using InfraSharp.Storage;
using InfraSharp.Text;

namespace InfraSharp.Evaluation;

/// <summary>
/// The evaluation run: generates samples with a model (or reads them), grades them (math by answer, code in the
/// sandbox) and writes <c>results.jsonl</c>, <c>summary.json</c> and <c>summary.md</c> with a manifest.
/// </summary>
public static class EvaluationRun
{
    public static EvalSummary Run(EvaluationRunArguments arguments, string outDir, RunOptions? options = null)
    {
        options ??= new RunOptions();
        var args = arguments.Normalized();
        args.Validate();
        if (args.Domain == EvalDomain.Code && !args.UnsafeNoSandbox)
            RequirePython();
        if (args.Model is not null)
            LoadedModel.RequireFolder(args.Model, "--model");
        var inputs = new EvaluationInputs
        {
            Problems = args.Problems is null ? null : Fingerprint.Files([args.Problems]),
            Samples = args.Samples is null ? null : Fingerprint.Files([args.Samples]),
            Model = args.Model is null || args.Samples is not null ? null : Fingerprint.Model(args.Model),
        };
        // Problems and samples are read and checked before the output folder is touched, so that a bad row
        // (a duplicate id, a missing answer or test) leaves it as it was.
        var completions = args.Samples is string s ? Evaluator.ReadSamples(s) : null;
        List<DataRow> problems;
        if (args.Problems is string p)
        {
            problems = DatasetReader.Read(p).ToList();
            Evaluator.ById(problems);
        }
        else
            problems = Evaluator.ProblemsOfSamples(DatasetReader.Read(args.Samples!), args.Domain);
        foreach (var row in problems)
        {
            if (args.Domain == EvalDomain.Math)
                Evaluator.GoldAnswer(row);
            else
                CodeProblem.FromRow(row.Fields, row.Where);
        }

        EvaluationFolder
            .Manifest(args, inputs)
            .Prepare(
                outDir,
                options.Overwrite,
                RunInput.Of(("--model", args.Model), ("--problems", args.Problems), ("--samples", args.Samples)),
                options.Progress
            );

        if (completions is null)
        {
            using var lm = LoadedModel.Load(args.Model!, args.DType, options.Device);
            completions = Generate(lm, problems, args.Sampling, options);
        }
        var results =
            args.Domain == EvalDomain.Math
                ? Evaluator.GradeMath(problems, completions)
                : Evaluator.GradeCode(
                    problems,
                    completions,
                    Limits(args),
                    args.Parallel,
                    options.Progress,
                    options.Cancellation
                );
        var summary = EvalSummary.Compute(results);
        summary.Write(outDir, results);
        return summary;
    }

    public static SandboxLimits Limits(EvaluationRunArguments args) =>
        new()
        {
            WallTime = TimeSpan.FromSeconds(args.TimeoutSeconds),
            MemoryBytes = (long)args.MemoryMb << 20,
            AllowUnsandboxed = args.UnsafeNoSandbox,
        };

    /// <summary>Greedy (or sampled) completions of every problem with a loaded model.</summary>
    public static List<Evaluator.Completion> Generate(
        LoadedModel lm,
        IReadOnlyList<DataRow> problems,
        SamplingSettings s,
        RunOptions? options = null
    )
    {
        var opts = new GenerationOptions
        {
            MaxNewTokens = s.MaxNewTokens,
            Greedy = s.Temperature is null,
            Temperature = s.Temperature ?? 1.0,
            TopP = s.TopP,
            Seed = s.Seed,
            StopTokenIds = TextGenerator.StopTokens(lm.Folder, lm.Model.Config, lm.Tokenizer.EosId),
            PadTokenId = lm.PadId,
        };
        return Evaluator.Complete(
            lm.Model,
            lm.Tokenizer,
            problems,
            opts,
            s.SamplesPerProblem,
            s.BatchSize,
            options?.Progress,
            options?.Cancellation ?? default
        );
    }

    /// <summary>Code samples run in python3: its absence is the user's to fix, said before any generation.</summary>
    private static void RequirePython()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        bool found = path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(d => File.Exists(Path.Combine(d, "python3")));
        if (!found)
            throw InputError.MissingFile(
                "python3 was not found on PATH (code samples are executed with it); install python3"
            );
    }
}
