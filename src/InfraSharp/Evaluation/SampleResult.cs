using System.Text.Json.Nodes;

namespace InfraSharp.Evaluation;

/// <summary>One graded sample: which problem, the completion, what was extracted, whether it is right and why
/// not.</summary>
public sealed record SampleResult(
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
}
