using System.Text.Json.Nodes;

namespace InfraSharp.Evaluation;

/// <summary>
/// A coding problem: HumanEval's form (code <c>prompt</c>, <c>test</c> with <c>check(candidate)</c>,
/// <c>entry_point</c>) or a prose statement with either such a test or stdin/stdout cases (LiveCodeBench's).
/// </summary>
internal sealed record CodeProblem(
    string Id,
    string? CodePrompt,
    string? Test,
    string? EntryPoint,
    IReadOnlyList<(string Input, string Output)> IoCases,
    JsonObject Attributes
)
{
    public static CodeProblem FromRow(JsonObject row, string where)
    {
        string id = (row["task_id"] ?? row["id"])?.ToString()
            ?? throw InputError.Data($"{where}: missing field 'task_id' or 'id'");
        string? prompt = row["prompt"]?.GetValue<string>();
        // A HumanEval prompt is code (a signature and docstring); a prose prompt is not run.
        bool promptIsCode =
            prompt is not null
            && (
                prompt.Contains("def ")
                || prompt.TrimStart().StartsWith("import")
                || prompt.TrimStart().StartsWith("from ")
            );
        var io = new List<(string, string)>();
        if (row["test_cases"] is JsonArray tc)
            foreach (var c in tc)
                io.Add((c!["input"]!.GetValue<string>(), c["output"]!.GetValue<string>()));
        else if (row["inputs"] is JsonArray ins && row["outputs"] is JsonArray outs)
            for (int i = 0; i < ins.Count; i++)
                io.Add((ins[i]!.GetValue<string>(), outs[i]!.GetValue<string>()));
        string? test = row["test"]?.GetValue<string>();
        string? entry = row["entry_point"]?.GetValue<string>();
        if (io.Count == 0 && (test is null || entry is null))
            throw InputError.Data($"{where}: problem '{id}' has neither 'test' + 'entry_point' nor stdin/stdout cases");
        var attrs = new JsonObject();
        foreach (var (k, v) in row)
            if (
                k
                is not (
                    "prompt"
                    or "test"
                    or "canonical_solution"
                    or "messages"
                    or "test_cases"
                    or "inputs"
                    or "outputs"
                )
            )
                attrs[k] = v?.DeepClone();
        return new CodeProblem(id, promptIsCode ? prompt : null, test, entry, io, attrs);
    }

    /// <summary>
    /// The program to run for a completion: for a code prompt, prompt + completion as HumanEval's harness
    /// does; for a prose problem, the completion's fenced code block (or the completion if it has none).
    /// </summary>
    public string Program(string completion) =>
        CodePrompt is not null ? CodePrompt + completion : (FencedCode.Extract(completion) ?? completion);
}
