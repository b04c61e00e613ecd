using System.Text.Json;
using System.Text.Json.Nodes;

namespace InfraSharp.Storage;

/// <summary>A JSON object file (config.json, tokenizer.json, an index): malformed content is bad input naming the
/// file.</summary>
internal static class JsonFile
{
    public static JsonObject ReadObject(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw InputError.Data($"{path}: expected a JSON object");
        }
        catch (JsonException e)
        {
            throw InputError.Data($"{path}: not valid JSON ({e.Message})");
        }
    }
}
