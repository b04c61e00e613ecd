using System.Text.Json.Nodes;

namespace InfraSharp.Training.Synthetic;

/// <summary>One generated problem with its chain-of-thought solution and how to check it.</summary>
internal sealed record SyntheticProblem(
    string Domain,
    int Difficulty,
    string Statement,
    string Solution,
    bool Explores,
    int Steps,
    string? Answer = null,
    string? EntryPoint = null,
    string? Test = null
)
{
    public JsonObject ToRow(string id)
    {
        var o = new JsonObject
        {
            ["id"] = id,
            ["domain"] = Domain,
            ["difficulty"] = Difficulty,
            ["steps"] = Steps,
            ["explores"] = Explores,
        };
        if (Answer is not null)
            o["answer"] = Answer;
        if (EntryPoint is not null)
        {
            o["entry_point"] = EntryPoint;
            o["test"] = Test;
        }
        o["messages"] = new JsonArray(
            new JsonObject { ["role"] = "user", ["content"] = Statement },
            new JsonObject { ["role"] = "assistant", ["content"] = Solution }
        );
        return o;
    }
}
