using System.Text.Json.Nodes;

namespace InfraSharp.Storage;

internal static class JsonlFile
{
    /// <summary>Readable JSON (no \u escapes for quotes or non-ASCII); Python's json reads it the same.</summary>
    public static readonly System.Text.Json.JsonSerializerOptions Options = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void Write(string path, IEnumerable<JsonObject> rows) =>
        AtomicFile.WriteAllLines(path, rows.Select(r => r.ToJsonString(Options)));

    /// <summary>Objects of a JSONL file this project wrote (no row-level error reporting: see DatasetReader for input
    /// data).</summary>
    public static IEnumerable<JsonObject> ReadObjects(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!.AsObject());

    public static JsonArray Ints(IEnumerable<int> xs) => new(xs.Select(x => (JsonNode)JsonValue.Create(x)).ToArray());
}
