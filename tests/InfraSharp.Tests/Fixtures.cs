using System.Text.Json.Nodes;

namespace InfraSharp.Tests;

/// <summary>
/// Paths into the repository's own copy of the fixtures and datasets (<c>tests/data</c>, copied from the
/// project's shared folder so that a clone alone runs its tests), found by walking up from the test binary.
/// </summary>
public static class Fixtures
{
    public static readonly string Shared = FindShared();

    private static string FindShared()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null)
        {
            if (File.Exists(Path.Combine(dir.FullName, "InfraSharp.slnx")))
                return Path.Combine(dir.FullName, "tests", "data");
            dir = dir.Parent;
        }
        throw new DirectoryNotFoundException(
            "the repository root (InfraSharp.slnx) was not found above " + AppContext.BaseDirectory
        );
    }

    public static string Path_(params string[] parts) => Path.Combine([Shared, "fixtures", .. parts]);

    public static string Model(string name) => Path_(name, "model");

    /// <summary>
    /// A real tokenizer folder: Qwen2.5's is the one the CLI ships (under <c>src/</c>, so that the product never
    /// reads the test tree), the others are fixtures.
    /// </summary>
    public static string Tokenizer(string name) =>
        name == "qwen2_5"
            ? Path.Combine(Shared, "..", "..", "src", "InfraSharp.Cli", "Resources", "tokenizers", name)
            : Path_("real-tokenizers", name);

    public static string Bf16(string name) => Path_(name, "model-bf16-sharded");

    public static IEnumerable<JsonObject> Jsonl(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!.AsObject());

    public static int[] Ints(JsonNode? n) => n!.AsArray().Select(x => x!.GetValue<int>()).ToArray();

    public static readonly string[] TinyModels = ["tiny-qwen2", "tiny-llama"];

    public static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "infrasharp-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }
}
