using System.Text.Json.Nodes;
using InfraSharp.Models;
using InfraSharp.Text;

namespace InfraSharp.Evaluation;

/// <summary>
/// Generates completions for problems (n per problem) and grades them: math by answer, code by running it.
/// </summary>
internal static class Evaluator
{
    public sealed record Completion(string ProblemId, int SampleIndex, string Text);

    /// <summary>n completions per problem row, batched with the KV cache.</summary>
    public static List<Completion> Complete(
        CausalLM model,
        Tokenizer tok,
        IReadOnlyList<DataRow> problems,
        GenerationOptions options,
        int samplesPerProblem,
        int batchSize,
        IProgress<RunProgress>? sink = null,
        CancellationToken cancel = default
    )
    {
        if (options.Greedy && samplesPerProblem > 1)
            throw InputError.Argument("greedy decoding gives one sample per problem; use sampling for n > 1");
        var prompts = new List<int[]>();
        var keys = new List<(string, int)>();
        foreach (var row in problems)
        {
            var ids = PromptBuilder.PromptIds(tok, row);
            for (int s = 0; s < samplesPerProblem; s++)
            {
                prompts.Add(ids);
                keys.Add((ProblemId(row), s));
            }
        }
        var outs = TextGenerator.GenerateBatched(model, prompts, options, batchSize, "generate", sink, cancel);
        return outs.Select(
                (o, i) => new Completion(keys[i].Item1, keys[i].Item2, tok.Decode(o, skipSpecialTokens: true))
            )
            .ToList();
    }

    public static string ProblemId(DataRow row) =>
        (row.Fields["task_id"] ?? row.Fields["id"])?.ToString() ?? $"{Path.GetFileName(row.File)}:{row.Line}";

    /// <summary>
    /// Problem rows by id. A second row with an id already seen is refused, naming the file and both lines:
    /// keeping either would grade some samples against the other row's answer or tests without a word.
    /// </summary>
    public static Dictionary<string, DataRow> ById(IEnumerable<DataRow> problems)
    {
        var byId = new Dictionary<string, DataRow>();
        foreach (var row in problems)
        {
            string id = ProblemId(row);
            if (byId.TryGetValue(id, out var first))
                throw InputError.Data(
                    first.File == row.File
                        ? $"{row.File}: problem id '{id}' is on line {first.Line} and again on line {row.Line}; "
                            + "problem ids must be unique"
                        : $"problem id '{id}' is in {first.Where} and again in {row.Where}; problem ids must be unique"
                );
            byId[id] = row;
        }
        return byId;
    }

    /// <summary>
    /// The problems of a samples file that is its own problem set: one row per sample, so an id repeats, and its
    /// first row stands for the problem. Rows of one problem that differ in what grading reads (the answer, or the
    /// tests) are refused, naming the file and both lines.
    /// </summary>
    public static List<DataRow> ProblemsOfSamples(IEnumerable<DataRow> rows, EvalDomain domain)
    {
        // In a mixed file the domain picks the grader, so it is one of the fields the rows of a problem must share.
        string[] Graded(DataRow row)
        {
            string[] fields =
                GraderOf(row, domain) == EvalDomain.Math
                    ? ["answer"]
                    : ["prompt", "test", "entry_point", "test_cases", "inputs", "outputs"];
            return domain == EvalDomain.Mixed ? ["domain", .. fields] : fields;
        }
        var first = new Dictionary<string, DataRow>();
        var problems = new List<DataRow>();
        foreach (var row in rows)
        {
            string id = ProblemId(row);
            if (!first.TryGetValue(id, out var f))
            {
                first[id] = row;
                problems.Add(row);
                continue;
            }
            foreach (var field in Graded(f))
                if (!JsonNode.DeepEquals(f.Fields[field], row.Fields[field]))
                    throw InputError.Data(
                        $"{row.File}: the rows of problem '{id}' on lines {f.Line} and {row.Line} "
                            + $"differ in '{field}'"
                    );
        }
        return problems;
    }

    /// <summary>
    /// Which grader a row goes to: the run's domain, or in a mixed run the row's own <c>domain</c> field, which must
    /// then be <c>math</c> or <c>code</c> (anything else is refused, naming the file and line).
    /// </summary>
    public static EvalDomain GraderOf(DataRow row, EvalDomain domain)
    {
        if (domain != EvalDomain.Mixed)
            return domain;
        return row.Fields["domain"]?.ToString() switch
        {
            "math" => EvalDomain.Math,
            "code" => EvalDomain.Code,
            null => throw new DataRowException(
                row.File,
                row.Line,
                "missing field 'domain' (a mixed evaluation grades each row by it: math or code)"
            ),
            var d => throw new DataRowException(
                row.File,
                row.Line,
                $"domain '{d}' is neither math nor code (a mixed evaluation grades each row by its domain)"
            ),
        };
    }

    /// <summary>
    /// Grades completions with the run's grader, or in a mixed run each with its problem row's own: math rows by
    /// answer, code rows in the sandbox. The results keep the completions' order, so a file of one domain grades
    /// exactly as before and a mixed file gives each row the verdict its domain's grader gives it alone.
    /// </summary>
    public static List<SampleResult> Grade(
        IReadOnlyList<DataRow> problems,
        IReadOnlyList<Completion> completions,
        EvalDomain domain,
        SandboxLimits? limits = null,
        int parallelism = 0,
        IProgress<RunProgress>? sink = null,
        CancellationToken cancel = default
    )
    {
        if (domain == EvalDomain.Math)
            return GradeMath(problems, completions);
        if (domain == EvalDomain.Code)
            return GradeCode(problems, completions, limits, parallelism, sink, cancel);
        var byId = ById(problems);
        foreach (var c in completions)
            if (!byId.ContainsKey(c.ProblemId))
                throw InputError.Data($"sample for unknown problem '{c.ProblemId}'");
        var math = problems.Where(r => GraderOf(r, domain) == EvalDomain.Math).ToList();
        var code = problems.Where(r => GraderOf(r, domain) == EvalDomain.Code).ToList();
        var isMath = math.Select(ProblemId).ToHashSet(StringComparer.Ordinal);
        var mathDone =
            math.Count == 0 ? [] : GradeMath(math, [.. completions.Where(c => isMath.Contains(c.ProblemId))]);
        // Without code rows the sandbox is never started (a math-only machine needs no bubblewrap).
        var codeDone =
            code.Count == 0
                ? []
                : GradeCode(
                    code,
                    [.. completions.Where(c => !isMath.Contains(c.ProblemId))],
                    limits,
                    parallelism,
                    sink,
                    cancel
                );
        int m = 0,
            k = 0;
        return [.. completions.Select(c => isMath.Contains(c.ProblemId) ? mathDone[m++] : codeDone[k++])];
    }

    private static string? Difficulty(JsonObject o) => o["difficulty"]?.ToString() ?? o["level"]?.ToString();

    public static List<SampleResult> GradeMath(IReadOnlyList<DataRow> problems, IReadOnlyList<Completion> completions)
    {
        var byId = ById(problems);
        return completions
            .Select(c =>
            {
                if (!byId.TryGetValue(c.ProblemId, out var row))
                    throw InputError.Data($"completion for unknown problem '{c.ProblemId}'");
                var gold = GoldAnswer(row);
                var ex = MathAnswer.Extract(c.Text);
                bool ok = MathAnswer.Equivalent(ex.Answer, gold);
                return new SampleResult(
                    c.ProblemId,
                    c.SampleIndex,
                    row.Fields["domain"]?.ToString() ?? "math",
                    Difficulty(row.Fields),
                    c.Text,
                    ex.Answer,
                    ok,
                    ok ? "correct"
                        : ex.Answer is null ? "no_answer"
                        : "wrong_answer"
                );
            })
            .ToList();
    }

    /// <summary>The reference answer: <c>answer</c> (GSM8K's worked answers reduce to their #### value).</summary>
    public static string GoldAnswer(DataRow row)
    {
        string answer = row.Fields["answer"]?.ToString()
            ?? throw new DataRowException(row.File, row.Line, "missing field 'answer'");
        return answer.Contains("####") ? MathAnswer.Extract(answer).Answer! : answer;
    }

    public static List<SampleResult> GradeCode(
        IReadOnlyList<DataRow> problems,
        IReadOnlyList<Completion> completions,
        SandboxLimits? limits = null,
        int parallelism = 0,
        IProgress<RunProgress>? sink = null,
        CancellationToken cancel = default
    )
    {
        var byId = ById(problems)
            .ToDictionary(
                kv => kv.Key,
                kv => (Row: kv.Value, Problem: CodeProblem.FromRow(kv.Value.Fields, kv.Value.Where))
            );
        var grader = new CodeGrader(new PythonSandbox(limits));
        var results = new SampleResult[completions.Count];
        var progress = new ProgressMeter(sink, "execute", completions.Count, "programs");
        int done = 0;
        Parallel.For(
            0,
            completions.Count,
            new ParallelOptions
            {
                MaxDegreeOfParallelism = parallelism > 0 ? parallelism : Math.Max(2, Environment.ProcessorCount),
                CancellationToken = cancel,
            },
            i =>
            {
                var c = completions[i];
                if (!byId.TryGetValue(c.ProblemId, out var p))
                    throw InputError.Data($"sample for unknown problem '{c.ProblemId}'");
                var (r, code) = grader.Grade(p.Problem, c.Text);
                results[i] = new SampleResult(
                    c.ProblemId,
                    c.SampleIndex,
                    p.Row.Fields["domain"]?.ToString() ?? "code",
                    Difficulty(p.Row.Fields),
                    c.Text,
                    code,
                    r.Passed,
                    r.Passed ? r.Reason : $"{r.Reason}: {r.Detail}".TrimEnd(' ', ':')
                );
                progress.Report(Interlocked.Increment(ref done));
            }
        );
        return results.ToList();
    }

    /// <summary>
    /// Samples from a file (rows with task_id or id, and completion); the n-th row of a problem is sample n.
    /// </summary>
    public static List<Completion> ReadSamples(string path)
    {
        var counts = new Dictionary<string, int>();
        return DatasetReader
            .Read(path)
            .Select(r =>
            {
                string id = ProblemId(r);
                string text = r.Fields["completion"]?.GetValue<string>()
                    ?? throw new DataRowException(r.File, r.Line, "missing field 'completion'");
                int n = counts.GetValueOrDefault(id);
                counts[id] = n + 1;
                return new Completion(id, n, text);
            })
            .ToList();
    }
}
