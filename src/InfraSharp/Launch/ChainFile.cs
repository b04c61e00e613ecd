using System.Text.Json.Nodes;
using InfraSharp.Storage;

namespace InfraSharp.Launch;

/// <summary><c>OUT/launch/chain.json</c>: the steps of a launched chain and their task counts, for the
/// status.</summary>
internal static class ChainFile
{
    public static string PathIn(string outDir) => Path.Combine(outDir, "launch", "chain.json");

    public static void Write(string outDir, IReadOnlyList<ChainStage> stages)
    {
        var o = new JsonObject
        {
            ["steps"] = new JsonArray(
                stages.Select(s => (JsonNode)new JsonObject { ["name"] = s.Name, ["tasks"] = s.Tasks }).ToArray()
            ),
        };
        AtomicFile.WriteAllText(PathIn(outDir), o.ToJsonString(new() { WriteIndented = true }) + "\n");
    }

    public static List<(string Name, int Tasks)> Read(string outDir)
    {
        string path = PathIn(outDir);
        if (!File.Exists(path))
            throw InputError.MissingFile($"{outDir}: no launch/chain.json (not a launched folder)", path);
        var o = JsonFile.ReadObject(path);
        return o["steps"]?.AsArray().Select(s => (s!["name"]!.ToString(), s["tasks"]!.GetValue<int>())).ToList()
            ?? throw InputError.Data($"{path}: missing field 'steps'");
    }
}
