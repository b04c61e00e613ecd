using System.Text.Json;
using InfraSharp.Storage;

namespace InfraSharp.Demo;

/// <summary>
/// The demo's journal (<c>stages.json</c>): the steps whose outputs are complete, recorded after each finishes. The
/// steps that train or grade (minutes each) are skipped on a rerun of the same demo when recorded here; the cheap,
/// seeded steps (data, query selection, curation, tables) are simply done again and write the same bytes.
/// </summary>
internal sealed class DemoStages
{
    public const string FileName = "stages.json";

    private readonly string _path;
    private readonly Dictionary<string, DemoStage> _done;

    private DemoStages(string path, Dictionary<string, DemoStage> done)
    {
        _path = path;
        _done = done;
    }

    /// <summary>The journal of the demo in <paramref name="outDir"/> (empty when there is none yet).</summary>
    public static DemoStages Open(string outDir)
    {
        string path = Path.Combine(outDir, FileName);
        if (!File.Exists(path))
            return new(path, new(StringComparer.Ordinal));
        try
        {
            var done = JsonSerializer.Deserialize(File.ReadAllText(path), DemoJson.Manifest.DictionaryStringDemoStage);
            return new(path, new(done ?? [], StringComparer.Ordinal));
        }
        catch (JsonException e)
        {
            throw InputError.Data($"{path}: not a demo journal ({e.Message})");
        }
    }

    /// <summary>The record of a finished step, or null when it has not finished.</summary>
    public DemoStage? Done(string stage) => _done.GetValueOrDefault(stage);

    /// <summary>
    /// Records that a step's outputs are complete and returns the record. The journal is read again and rewritten
    /// atomically under a lock, so partitions sharing the folder each add their own steps without losing another's.
    /// </summary>
    public DemoStage Record(string stage, DemoStage record)
    {
        using var held = FileLock.Acquire(_path + ".lock");
        var current = Open(Path.GetDirectoryName(_path)!);
        foreach (var (k, v) in current._done)
            _done.TryAdd(k, v);
        _done[stage] = record;
        AtomicFile.WriteAllText(
            _path,
            JsonSerializer.Serialize(
                new SortedDictionary<string, DemoStage>(_done, StringComparer.Ordinal).ToDictionary(),
                DemoJson.Manifest.DictionaryStringDemoStage
            ) + "\n"
        );
        return record;
    }
}
