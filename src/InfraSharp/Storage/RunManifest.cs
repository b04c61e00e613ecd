using System.Text.Json;
using System.Text.Json.Nodes;

namespace InfraSharp.Storage;

/// <summary>
/// What a run folder's <c>manifest.json</c> records. <see cref="Arguments"/> (the run's typed arguments record,
/// serialised whole), <see cref="Inputs"/> (fingerprints of the model, tokenizer, data and upstream folders) and
/// <see cref="Plan"/> (values derived from them that change results, such as the tokens per batch) are what a
/// rerun is compared on; <see cref="Info"/> (counts, conventions) is written for readers and never compared.
/// </summary>
public sealed record RunManifest(
    string Kind,
    JsonObject Arguments,
    JsonObject Inputs,
    JsonObject Plan,
    JsonObject? Info = null
)
{
    /// <summary>
    /// The manifest version this build writes and reads; a folder written with another is refused (rerun that step).
    /// </summary>
    public const string Version = "0.3";

    /// <summary>The marker that tells an InfraSharp run manifest from another tool's <c>manifest.json</c>.</summary>
    public const string Format = "infrasharp-run";

    /// <summary>
    /// The files this run kind writes into its folder (<see cref="OwnedFiles"/> patterns); recorded in the
    /// manifest, they are all that <c>--overwrite</c> may remove.
    /// </summary>
    public IReadOnlyList<string> Owns { get; init; } = [];

    /// <summary>
    /// How arguments records are written: snake_case names, enums by their documented names (the words the CLI
    /// takes), nulls kept (so that a field's absence and its default compare alike). A new instance per call:
    /// options freeze once a context uses them.
    /// </summary>
    public static JsonSerializerOptions SerializerOptions() =>
        new()
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
            WriteIndented = true,
        };

    /// <summary>The manifest's file name in a run folder.</summary>
    public const string FileName = "manifest.json";

    /// <summary>
    /// The manifest as written to disk: format marker, kind, version, owned files and the four parts.
    /// </summary>
    public JsonObject ToJson() =>
        new()
        {
            ["format"] = Format,
            ["kind"] = Kind,
            ["infrasharp"] = Version,
            ["owns"] = new JsonArray([.. new OwnedFiles(Owns).Patterns.Select(p => (JsonNode)p)]),
            ["arguments"] = Arguments.DeepClone(),
            ["inputs"] = Inputs.DeepClone(),
            ["plan"] = Plan.DeepClone(),
            ["info"] = Info?.DeepClone(),
        };

    /// <summary>The compared part: kind, arguments, inputs, plan.</summary>
    private JsonObject Compared() =>
        new()
        {
            ["kind"] = Kind,
            ["arguments"] = Arguments.DeepClone(),
            ["inputs"] = Inputs.DeepClone(),
            ["plan"] = Plan.DeepClone(),
        };

    /// <summary>The manifest path in <paramref name="dir"/>.</summary>
    public static string PathIn(string dir) => System.IO.Path.Combine(dir, FileName);

    /// <summary>The manifest of a run folder, or null when there is none; a corrupt one is bad input naming the
    /// file.</summary>
    public static JsonObject? Read(string dir)
    {
        string path = PathIn(dir);
        if (!File.Exists(path))
            return null;
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw InputError.Data($"{path}: not a JSON object");
        }
        catch (JsonException e)
        {
            throw InputError.Data($"{path}: not valid JSON ({e.Message})");
        }
    }

    /// <summary>
    /// Starts or resumes a run in <paramref name="dir"/>, which must be new, empty, or a folder of this run kind
    /// whose manifest InfraSharp wrote. Before anything is touched, a folder that is, contains or lies inside one of
    /// <paramref name="inputs"/> is refused. A folder whose manifest equals this one (kind, arguments, inputs, plan)
    /// resumes; one from another run of the kind is refused with a one-line diff, unless
    /// <paramref name="overwrite"/>: then the files that run kind writes (its manifest's <c>owns</c>) are removed,
    /// and any other file makes it refuse, naming the file. Temporary files of the kind that a killed process of
    /// this host left behind are removed. Returns true when an existing run is resumed.
    /// </summary>
    public bool Prepare(
        string dir,
        bool overwrite,
        IEnumerable<RunInput>? inputs = null,
        IProgress<RunProgress>? progress = null
    )
    {
        OutputGuard.Folder(dir, "--out", inputs ?? []);
        bool resumed = false,
            created = !Directory.Exists(dir);
        if (Claim(dir, Kind) is not JsonObject old)
            FreshRunFolders.Add(dir, created, new OwnedFiles(Owns));
        else
        {
            AtomicFile.RemoveAbandoned(dir, OwnedBy(old).Owns);
            var oldCompared = new JsonObject
            {
                ["kind"] = old["kind"]?.DeepClone(),
                ["arguments"] = old["arguments"]?.DeepClone(),
                ["inputs"] = old["inputs"]?.DeepClone(),
                ["plan"] = old["plan"]?.DeepClone(),
            };
            var diff = JsonDiff.Describe(oldCompared, Compared());
            if (diff.Count == 0)
                resumed = true;
            else if (overwrite)
            {
                RemoveRun(dir, old, $"({string.Join(", ", diff)})", progress);
            }
            else
                throw InputError.Argument(
                    $"{dir} holds a run with other inputs or arguments ({string.Join("; ", diff)}); "
                        + "use another --out folder, or --overwrite to start over"
                );
        }
        OutputFolder.Create(dir);
        Write(dir);
        return resumed;
    }

    /// <summary>
    /// Checks that a run of <paramref name="kind"/> may write into <paramref name="dir"/>: it is new or empty (what a
    /// partition starting at this moment writes, probes and the manifest's temporary file, counts as empty), or it
    /// holds an InfraSharp run of that kind, whose manifest is returned. Anything else is refused, naming it.
    /// </summary>
    public static JsonObject? Claim(string dir, string kind)
    {
        if (File.Exists(dir))
            throw InputError.Argument($"--out {dir} is a file; give a folder");
        if (Read(dir) is not JsonObject old)
        {
            var common = new OwnedFiles([]);
            var present = Directory.Exists(dir) ? FilesIn(dir).Where(f => !common.Owns(f)).ToList() : [];
            if (present.Count > 0)
                throw InputError.Argument(
                    $"--out {dir} is not empty and holds no InfraSharp run ({present[0]}); use an empty or new folder"
                );
            return null;
        }
        if (!IsRunManifest(old))
            throw InputError.Argument($"{PathIn(dir)} is not an InfraSharp run manifest; use an empty or new folder");
        string oldKind = old["kind"]!.ToString();
        if (oldKind != kind)
            throw InputError.Argument(
                $"--out {dir} holds a '{oldKind}' run, not a '{kind}' one; use a folder of its own"
            );
        return old;
    }

    /// <summary>
    /// Whether <paramref name="manifest"/> is one InfraSharp wrote: the format marker, or (written before the
    /// marker existed) the version, kind, arguments and inputs together, which another tool's file would not have.
    /// </summary>
    public static bool IsRunManifest(JsonObject manifest) =>
        (manifest["format"] as JsonValue)?.ToString() == Format
        || (
            manifest["infrasharp"] is JsonValue
            && manifest["kind"] is JsonValue
            && manifest["arguments"] is JsonObject
            && manifest["inputs"] is JsonObject
        );

    /// <summary>What the run kind of <paramref name="manifest"/> writes: its <c>owns</c>, else this kind's.</summary>
    private OwnedFiles OwnedBy(JsonObject manifest) =>
        new(manifest["owns"] is JsonArray a ? [.. a.Select(x => x?.ToString() ?? "").Where(x => x.Length > 0)] : Owns);

    /// <summary>
    /// Removes the earlier run in <paramref name="dir"/> (whose manifest is <paramref name="old"/>): every file its
    /// kind writes, then the folders left empty. Refuses, removing nothing, when any other file is there.
    /// </summary>
    public void RemoveRun(string dir, JsonObject old, string why, IProgress<RunProgress>? progress = null)
    {
        var owned = OwnedBy(old);
        var others = FilesIn(dir).Where(f => !owned.Owns(f)).ToList();
        if (others.Count > 0)
            throw InputError.Argument(
                $"--overwrite: {Path.Combine(dir, others[0])} was not written by a '{Kind}' run "
                    + $"({others.Count} such file{(others.Count == 1 ? "" : "s")}); move it away, or use another --out"
            );
        ProgressMeter.Note(progress, $"{dir}: overwrite: removing the earlier run's files {why}");
        foreach (var f in FilesIn(dir))
            if (f != FileName)
                File.Delete(Path.Combine(dir, f));
        // Deepest first, so that a folder emptied by its subfolders' removal goes too.
        foreach (
            var d in Directory
                .EnumerateDirectories(dir, "*", SearchOption.AllDirectories)
                .OrderByDescending(d => d.Length)
        )
            if (!Directory.EnumerateFileSystemEntries(d).Any())
                Directory.Delete(d);
    }

    /// <summary>Every file under <paramref name="dir"/>, relative with '/' separators, in ordinal order.</summary>
    private static List<string> FilesIn(string dir) =>
        [
            .. Directory
                .EnumerateFiles(dir, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(dir, f).Replace('\\', '/'))
                .Order(StringComparer.Ordinal),
        ];

    /// <summary>Writes the manifest into <paramref name="dir"/> atomically (indented JSON).</summary>
    public void Write(string dir) =>
        AtomicFile.WriteAllText(
            PathIn(dir),
            ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n"
        );
}
