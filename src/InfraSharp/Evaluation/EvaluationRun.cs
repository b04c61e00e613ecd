using InfraSharp.Models;
using InfraSharp.Storage;
using InfraSharp.Text;

namespace InfraSharp.Evaluation;

/// <summary>
/// The evaluation run: generates samples with a model (or reads them), grades them (math by answer, code in the
/// sandbox; a mixed file each row by its own domain) and writes <c>results.jsonl</c>, <c>summary.json</c> and
/// <c>summary.md</c> with a manifest.
/// </summary>
public static class EvaluationRun
{
    /// <summary>
    /// Generates (or reads) the samples, grades them and writes results, summary and manifest into <paramref
    /// name="outDir"/>.
    /// </summary>
    /// <returns>Accuracy and pass@k overall, per domain and per domain x difficulty.</returns>
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
        var problems = ReadProblems(args);

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
        return GradeAndWrite(args, problems, completions, outDir, options).Summary;
    }

    /// <summary>
    /// Generates with a model already loaded and grades, writing results and summaries into
    /// <paramref name="outDir"/> without a manifest: for a caller whose own run owns that folder (the demo grades
    /// each retrained model in a folder inside that model's). <see cref="EvaluationRunArguments.Model"/> is ignored.
    /// Internal: it writes without the ownership checks of a run, so only a run that owns the folder may call it.
    /// </summary>
    internal static (EvalSummary Summary, List<SampleResult> Results) Evaluate(
        LoadedModel model,
        EvaluationRunArguments arguments,
        string outDir,
        RunOptions? options = null
    )
    {
        var args = arguments.Normalized() with { Model = model.Folder, Samples = null };
        args.Validate();
        var problems = ReadProblems(args);
        return GradeAndWrite(args, problems, Generate(model, problems, args.Sampling, options), outDir, options);
    }

    /// <summary>The graded samples of a finished evaluation folder (its <c>results.jsonl</c>), in order.</summary>
    internal static List<SampleResult> ReadResults(string outDir)
    {
        string path = Path.Combine(outDir, "results.jsonl");
        if (!File.Exists(path))
            throw InputError.MissingFile($"{outDir}: no results.jsonl (not a finished evaluation)", path);
        return [.. JsonlFile.ReadObjects(path).Select((o, i) => SampleResult.FromJson(o, $"{path}:{i + 1}"))];
    }

    /// <summary>
    /// The problems, each checked for what its grader reads (an answer, tests; in a mixed file its domain), and
    /// python3 where code will run.
    /// </summary>
    private static List<DataRow> ReadProblems(EvaluationRunArguments args)
    {
        List<DataRow> problems;
        if (args.Problems is string p)
        {
            problems = DatasetReader.Read(p).ToList();
            Evaluator.ById(problems);
        }
        else
            problems = Evaluator.ProblemsOfSamples(DatasetReader.Read(args.Samples!), args.Domain);
        bool code = false;
        foreach (var row in problems)
        {
            if (Evaluator.GraderOf(row, args.Domain) == EvalDomain.Math)
                Evaluator.GoldAnswer(row);
            else
            {
                CodeProblem.FromRow(row.Fields, row.Where);
                code = true;
            }
        }
        if (code && !args.UnsafeNoSandbox)
            RequirePython();
        return problems;
    }

    private static (EvalSummary Summary, List<SampleResult> Results) GradeAndWrite(
        EvaluationRunArguments args,
        List<DataRow> problems,
        List<Evaluator.Completion> completions,
        string outDir,
        RunOptions? options
    )
    {
        var results = Evaluator.Grade(
            problems,
            completions,
            args.Domain,
            Limits(args),
            args.Parallel,
            options?.Progress,
            options?.Cancellation ?? default
        );
        var summary = EvalSummary.Compute(results);
        summary.Write(outDir, results);
        return (summary, results);
    }

    internal static SandboxLimits Limits(EvaluationRunArguments args) =>
        new()
        {
            WallTime = TimeSpan.FromSeconds(args.TimeoutSeconds),
            MemoryBytes = (long)args.MemoryMb << 20,
            AllowUnsandboxed = args.UnsafeNoSandbox,
        };

    /// <summary>Greedy (or sampled) completions of every problem with a loaded model.</summary>
    internal static List<Evaluator.Completion> Generate(
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
