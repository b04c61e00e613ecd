using System.Text.Json.Nodes;

namespace InfraSharp.Evaluation;

/// <summary>
/// One graded sample: which problem, the completion, what was extracted, whether it is right and why not.
/// </summary>
internal sealed record SampleResult(
    string ProblemId,
    int SampleIndex,
    string Domain,
    string? Difficulty,
    string Completion,
    string? Extracted,
    bool Correct,
    string Reason
)
{
    public JsonObject ToJson()
    {
        var o = new JsonObject
        {
            ["problem_id"] = ProblemId,
            ["sample"] = SampleIndex,
            ["domain"] = Domain,
            ["difficulty"] = Difficulty,
            ["completion"] = Completion,
        };
        if (Domain == "code")
        {
            o["code"] = Extracted;
            o["passed"] = Correct;
        }
        else
        {
            o["extracted_answer"] = Extracted;
            o["correct"] = Correct;
        }
        o["reason"] = Reason;
        return o;
    }

    /// <summary>
    /// A result as <see cref="ToJson"/> wrote it (a finished evaluation's <c>results.jsonl</c>, read back when a
    /// rerun reuses it); a row without the fields is bad input naming <paramref name="where"/>.
    /// </summary>
    public static SampleResult FromJson(JsonObject o, string where)
    {
        T Required<T>(string name) =>
            o[name] is JsonValue v && v.TryGetValue<T>(out var x)
                ? x
                : throw InputError.Data($"{where}: field '{name}' is missing or not a {typeof(T).Name}");
        string? Optional(string name) => o[name] is JsonValue v && v.TryGetValue<string>(out var x) ? x : null;
        string domain = Required<string>("domain");
        bool code = domain == "code";
        return new SampleResult(
            Required<string>("problem_id"),
            Required<int>("sample"),
            domain,
            Optional("difficulty"),
            Required<string>("completion"),
            Optional(code ? "code" : "extracted_answer"),
            Required<bool>(code ? "passed" : "correct"),
            Required<string>("reason")
        );
    }
}
