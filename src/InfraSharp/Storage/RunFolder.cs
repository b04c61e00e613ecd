using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace InfraSharp.Storage;

/// <summary>
/// A run folder's <c>manifest.json</c> opened for reading: an InfraSharp run manifest of one of the expected kinds and
/// of the manifest version this build reads, whose parts (arguments, inputs, plan, info) are deserialised into the
/// kind's records with the options they were written with. Each kind's folder type (<c>FactorFolder</c>,
/// <c>ScoreFolder</c>, ...) opens its folders through this, so that no reader picks a manifest apart by string path,
/// and builds its manifest from the same records, so that every key is spelled once.
/// </summary>
public sealed class RunFolder
{
    private readonly JsonObject _manifest;

    private RunFolder(string dir, string manifestPath, string kind, JsonObject manifest)
    {
        Dir = dir;
        ManifestPath = manifestPath;
        Kind = kind;
        _manifest = manifest;
    }

    /// <summary>The run folder (for a run whose output is a file, the folder that holds it).</summary>
    public string Dir { get; }

    /// <summary><c>DIR/manifest.json</c>; for a run whose output is a file, the manifest beside it.</summary>
    public string ManifestPath { get; }

    /// <summary>The run kind the manifest records (<c>factors</c>, <c>scores_pairwise</c>, ...).</summary>
    public string Kind { get; }

    /// <summary>
    /// Opens the manifest of <paramref name="dir"/> (named by <paramref name="option"/>, such as <c>--factors</c>)
    /// and checks that it is a run of one of <paramref name="kinds"/> (<paramref name="noun"/> says what such a folder
    /// is, for the message) written with this manifest version.
    /// </summary>
    public static RunFolder Open(string dir, string option, string noun, params IReadOnlyList<string> kinds)
    {
        var m = RunManifest.Read(dir)
            ?? throw InputError.MissingFile(
                $"{option} {dir}: no manifest.json (not a {noun})",
                RunManifest.PathIn(dir)
            );
        return Check(dir, RunManifest.PathIn(dir), $"{option} {dir}: manifest.json", m, noun, kinds);
    }

    /// <summary>
    /// Opens the manifest file <paramref name="path"/> of a run whose output is a file (written beside it), with the
    /// same checks as <see cref="Open"/>.
    /// </summary>
    public static RunFolder OpenFile(string path, string noun, params IReadOnlyList<string> kinds)
    {
        if (!File.Exists(path))
            throw InputError.MissingFile($"{path}: no such file (not a {noun})", path);
        var m = JsonFile.ReadObject(path);
        return Check(Path.GetDirectoryName(Path.GetFullPath(path))!, path, path, m, noun, kinds);
    }

    private static RunFolder Check(
        string dir,
        string path,
        string named,
        JsonObject m,
        string noun,
        IReadOnlyList<string> kinds
    )
    {
        if (!RunManifest.IsRunManifest(m))
            throw InputError.Data($"{named} is not an InfraSharp run manifest (not a {noun})");
        string kind = Text(m["kind"]) ?? "";
        if (!kinds.Contains(kind))
            throw InputError.Data($"{named} is not a {noun}'s (kind '{kind}')");
        CheckVersion(path, m);
        return new RunFolder(dir, path, kind, m);
    }

    /// <summary>
    /// Refuses a manifest of another version than <see cref="RunManifest.Version"/>: its parts may mean other things,
    /// so the step that wrote it is to be rerun rather than its folder guessed at.
    /// </summary>
    public static void CheckVersion(string path, JsonObject manifest)
    {
        string version = Text(manifest["infrasharp"]) ?? "(none)";
        if (version != RunManifest.Version)
            throw InputError.Data(
                $"{path}: written by InfraSharp manifest version {version}; this version reads {RunManifest.Version}; "
                    + "rerun that step"
            );
    }

    /// <summary>
    /// The run's arguments record, deserialised as <typeparamref name="T"/>; a manifest without it is bad input.
    /// </summary>
    /// <typeparam name="T">The kind's arguments record.</typeparam>
    public T Arguments<T>(JsonTypeInfo<T> type) => Part("arguments", type) ?? throw Missing("arguments");

    /// <summary>Fingerprints of the run's inputs (model, tokenizer, data, upstream folders).</summary>
    /// <typeparam name="T">The kind's inputs record.</typeparam>
    public T Inputs<T>(JsonTypeInfo<T> type) => Part("inputs", type) ?? throw Missing("inputs");

    /// <summary>Values derived from the inputs that change results (tokens per batch, modules, ...).</summary>
    /// <typeparam name="T">The kind's plan record.</typeparam>
    public T Plan<T>(JsonTypeInfo<T> type) => Part("plan", type) ?? throw Missing("plan");

    /// <summary>The informational part, or null where the kind writes none.</summary>
    public T? Info<T>(JsonTypeInfo<T> type)
        where T : class => Part("info", type);

    /// <summary>
    /// A fingerprint of the run: its manifest without the informational part, as a downstream run records it among
    /// its inputs (the same bytes as before the folder types, so that those runs still resume).
    /// </summary>
    public string RunFingerprint()
    {
        var m = (JsonObject)_manifest.DeepClone();
        m.Remove("info");
        return Fingerprint.Text(m.ToJsonString());
    }

    private T? Part<T>(string name, JsonTypeInfo<T> type)
    {
        try
        {
            return _manifest[name].Deserialize(type);
        }
        catch (JsonException e)
        {
            throw InputError.Data($"{ManifestPath}: {name}: {e.Message}");
        }
    }

    private InvalidDataException Missing(string name) => InputError.Data($"{ManifestPath}: no {name}");

    /// <summary>A typed part as it is written into a manifest (what <see cref="RunManifest"/> takes).</summary>
    public static JsonObject Node<T>(T value, JsonTypeInfo<T> type) =>
        JsonSerializer.SerializeToNode(value, type)?.AsObject()
        ?? throw new InvalidOperationException($"{typeof(T).Name} did not serialise to a JSON object");

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
