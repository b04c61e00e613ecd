using System.Text.Json;
using System.Text.Json.Nodes;

namespace InfraSharp.Storage;

/// <summary>
/// What a run folder's <c>manifest.json</c> records. <see cref="Arguments"/> (the run's typed arguments record,
/// serialised whole), <see cref="Inputs"/> (fingerprints of the model, tokenizer, data and upstream folders) and
/// <see cref="Plan"/> (values derived from them that change results, such as the tokens per batch) are what a
/// rerun is compared on; <see cref="Info"/> (counts, conventions) is written for readers and never compared.
/// </summary>
public sealed record RunManifest(string Kind, JsonObject Arguments, JsonObject Inputs, JsonObject Plan, JsonObject? Info = null)
{
    public const string Version = "0.2";

    /// <summary>
    /// How arguments records are written: snake_case names, enums by their documented names (the words the CLI
    /// takes), nulls kept (so that a field's absence and its default compare alike). A new instance per call:
    /// options freeze once a context uses them.
    /// </summary>
    public static JsonSerializerOptions SerializerOptions() => new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
        WriteIndented = true,
    };
    public const string FileName = "manifest.json";

    public JsonObject ToJson() => new()
    {
        ["kind"] = Kind,
        ["infrasharp"] = Version,
        ["arguments"] = Arguments.DeepClone(),
        ["inputs"] = Inputs.DeepClone(),
        ["plan"] = Plan.DeepClone(),
        ["info"] = Info?.DeepClone(),
    };

    /// <summary>The compared part: kind, arguments, inputs, plan.</summary>
    private JsonObject Compared() => new()
    {
        ["kind"] = Kind, ["arguments"] = Arguments.DeepClone(), ["inputs"] = Inputs.DeepClone(), ["plan"] = Plan.DeepClone(),
    };

    public static string PathIn(string dir) => System.IO.Path.Combine(dir, FileName);

    /// <summary>The manifest of a run folder, or null when there is none; a corrupt one is bad input naming the file.</summary>
    public static JsonObject? Read(string dir)
    {
        string path = PathIn(dir);
        if (!File.Exists(path)) return null;
        try { return JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw InputError.Data($"{path}: not a JSON object"); }
        catch (JsonException e) { throw InputError.Data($"{path}: not valid JSON ({e.Message})"); }
    }

    /// <summary>
    /// Starts or resumes a run in <paramref name="dir"/>. A folder whose manifest equals this one (kind, arguments,
    /// inputs, plan) resumes; one from another run is refused with a one-line diff, unless <paramref name="overwrite"/>
    /// is set, in which case its contents are removed first. Returns true when an existing run is resumed.
    /// </summary>
    public bool Prepare(string dir, bool overwrite)
    {
        bool resumed = false;
        if (Read(dir) is JsonObject old)
        {
            var oldCompared = new JsonObject
            {
                ["kind"] = old["kind"]?.DeepClone(), ["arguments"] = old["arguments"]?.DeepClone(),
                ["inputs"] = old["inputs"]?.DeepClone(), ["plan"] = old["plan"]?.DeepClone(),
            };
            var diff = JsonDiff.Describe(oldCompared, Compared());
            if (diff.Count == 0) resumed = true;
            else if (overwrite)
            {
                ProgressLog.Line($"{dir}: --overwrite: removing the earlier run ({string.Join(", ", diff)})");
                foreach (var f in Directory.EnumerateFileSystemEntries(dir))
                {
                    if (Directory.Exists(f)) Directory.Delete(f, recursive: true);
                    else File.Delete(f);
                }
            }
            else
                throw InputError.Argument(
                    $"{dir} holds a run with other inputs or arguments ({string.Join("; ", diff)}); " +
                    "use another --out folder, or --overwrite to start over");
        }
        OutputFolder.Create(dir);
        Write(dir);
        return resumed;
    }

    public void Write(string dir) =>
        AtomicFile.WriteAllText(PathIn(dir), ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
}
