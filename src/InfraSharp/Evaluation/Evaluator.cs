using System.Text.Json.Nodes;
using InfraSharp.Models;
using InfraSharp.Text;

namespace InfraSharp.Evaluation;

/// <summary>Generates completions for problems (n per problem) and grades them: math by answer, code by running it.</summary>
public static class Evaluator
{
    public sealed record Completion(string ProblemId, int SampleIndex, string Text);

    /// <summary>n completions per problem row, batched with the KV cache.</summary>
    public static List<Completion> Complete(CausalLM model, Tokenizer tok, IReadOnlyList<DataRow> problems,
        GenerationOptions options, int samplesPerProblem, int batchSize)
    {
        if (options.Greedy && samplesPerProblem > 1)
            throw InputError.Argument("greedy decoding gives one sample per problem; use sampling for n > 1");
        var prompts = new List<int[]>(); var keys = new List<(string, int)>();
        foreach (var row in problems)
        {
            var ids = PromptBuilder.PromptIds(tok, row);
            for (int s = 0; s < samplesPerProblem; s++) { prompts.Add(ids); keys.Add((ProblemId(row), s)); }
        }
        var outs = TextGenerator.GenerateBatched(model, prompts, options, batchSize, "generate");
        return outs.Select((o, i) => new Completion(keys[i].Item1, keys[i].Item2, tok.Decode(o, skipSpecialTokens: true))).ToList();
    }

    public static string ProblemId(DataRow row) =>
        (row.Fields["task_id"] ?? row.Fields["id"])?.ToString() ?? $"{Path.GetFileName(row.File)}:{row.Line}";

    private static string? Difficulty(JsonObject o) => o["difficulty"]?.ToString() ?? o["level"]?.ToString();

    public static List<SampleResult> GradeMath(IReadOnlyList<DataRow> problems, IReadOnlyList<Completion> completions)
    {
        var byId = problems.ToDictionary(ProblemId);
        return completions.Select(c =>
        {
            if (!byId.TryGetValue(c.ProblemId, out var row)) throw InputError.Data($"completion for unknown problem '{c.ProblemId}'");
            var gold = GoldAnswer(row);
            var ex = MathAnswer.Extract(c.Text);
            bool ok = MathAnswer.Equivalent(ex.Answer, gold);
            return new SampleResult(c.ProblemId, c.SampleIndex, row.Fields["domain"]?.ToString() ?? "math", Difficulty(row.Fields),
                c.Text, ex.Answer, ok, ok ? "correct" : ex.Answer is null ? "no_answer" : "wrong_answer");
        }).ToList();
    }

    /// <summary>The reference answer: <c>answer</c> (GSM8K's worked answers reduce to their #### value).</summary>
    public static string GoldAnswer(DataRow row)
    {
        string answer = row.Fields["answer"]?.ToString() ?? throw new DataRowException(row.File, row.Line, "missing field 'answer'");
        return answer.Contains("####") ? MathAnswer.Extract(answer).Answer! : answer;
    }

    public static List<SampleResult> GradeCode(IReadOnlyList<DataRow> problems, IReadOnlyList<Completion> completions,
        SandboxLimits? limits = null, int parallelism = 0)
    {
        var byId = problems.ToDictionary(ProblemId, r => (Row: r, Problem: CodeProblem.FromRow(r.Fields, r.Where)));
        var grader = new CodeGrader(new PythonSandbox(limits));
        var results = new SampleResult[completions.Count];
        var progress = new ProgressLog("execute", completions.Count);
        int done = 0;
        Parallel.For(0, completions.Count, new ParallelOptions { MaxDegreeOfParallelism = parallelism > 0 ? parallelism : Math.Max(2, Environment.ProcessorCount) }, i =>
        {
            var c = completions[i];
            if (!byId.TryGetValue(c.ProblemId, out var p)) throw InputError.Data($"sample for unknown problem '{c.ProblemId}'");
            var (r, code) = grader.Grade(p.Problem, c.Text);
            results[i] = new SampleResult(c.ProblemId, c.SampleIndex, p.Row.Fields["domain"]?.ToString() ?? "code", Difficulty(p.Row.Fields),
                c.Text, code, r.Passed, r.Passed ? r.Reason : $"{r.Reason}: {r.Detail}".TrimEnd(' ', ':'));
            progress.Report(Interlocked.Increment(ref done));
        });
        return results.ToList();
    }

    /// <summary>Samples from a file (rows with task_id or id, and completion); the n-th row of a problem is sample n.</summary>
    public static List<Completion> ReadSamples(string path)
    {
        var counts = new Dictionary<string, int>();
        return DatasetReader.Read(path).Select(r =>
        {
            string id = ProblemId(r);
            string text = r.Fields["completion"]?.GetValue<string>() ?? throw new DataRowException(r.File, r.Line, "missing field 'completion'");
            int n = counts.GetValueOrDefault(id); counts[id] = n + 1;
            return new Completion(id, n, text);
        }).ToList();
    }
}
