using System.Security.Cryptography;
using System.Text;

namespace InfraSharp.Storage;

/// <summary>Content fingerprints that tie artifacts to the exact model, tokenizer and data they came from.</summary>
internal static class Fingerprint
{
    /// <summary>
    /// SHA-256 over config.json and the weight files' bytes, in name order: the shards a
    /// <c>model.safetensors.index.json</c> lists, else <c>model.safetensors</c>, else every <c>*.safetensors</c>.
    /// Other safetensors in the folder (someone's extra files) are not the model and do not change its identity.
    /// </summary>
    public static string Model(string modelDir)
    {
        var files = new List<string> { Path.Combine(modelDir, "config.json") };
        files.AddRange(WeightFiles(modelDir).OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal));
        return Files(files);
    }

    private static IEnumerable<string> WeightFiles(string modelDir)
    {
        string index = Path.Combine(modelDir, "model.safetensors.index.json");
        string single = Path.Combine(modelDir, "model.safetensors");
        if (File.Exists(index))
        {
            try
            {
                if (
                    System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(index))?["weight_map"]
                    is System.Text.Json.Nodes.JsonObject map
                )
                    return map.Select(kv => kv.Value?.ToString() ?? "")
                        .Where(n => n.Length > 0)
                        .Distinct(StringComparer.Ordinal)
                        .Select(n => Path.Combine(modelDir, n))
                        .Where(File.Exists);
            }
            catch (System.Text.Json.JsonException) { } // the loader names the broken index; here all files count
        }
        else if (File.Exists(single))
            return [single];
        return Directory.GetFiles(modelDir, "*.safetensors");
    }

    /// <summary>SHA-256 over tokenizer.json, tokenizer_config.json and a chat_template.jinja when present.</summary>
    public static string Tokenizer(string dir) =>
        Files(
            new[] { "tokenizer.json", "tokenizer_config.json", "chat_template.jinja" }
                .Select(f => Path.Combine(dir, f))
                .Where(File.Exists)
        );

    /// <summary>
    /// SHA-256 over the files' names and bytes, in the order given. Memoised by each file's full path, size and
    /// modification time, so that a model hashed once (gigabytes at 7B) is not read again while it is unchanged.
    /// </summary>
    public static string Files(IEnumerable<string> files)
    {
        var list = files.ToList();
        string key = string.Join(
            "\n",
            list.Select(f =>
            {
                var info = new FileInfo(f);
                return $"{info.FullName}\t{(info.Exists ? info.Length : -1)}\t{info.LastWriteTimeUtc.Ticks}";
            })
        );
        return Memo.GetOrAdd(key, _ => Hash(list));
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> Memo = new();

    private static string Hash(IEnumerable<string> files)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buf = new byte[1 << 20];
        foreach (var f in files)
        {
            h.AppendData(Encoding.UTF8.GetBytes(Path.GetFileName(f) + "\0"));
            using var s = File.OpenRead(f);
            int n;
            while ((n = s.Read(buf)) > 0)
                h.AppendData(buf, 0, n);
        }
        return Convert.ToHexStringLower(h.GetHashAndReset());
    }

    /// <summary>SHA-256 of a text (UTF-8).</summary>
    public static string Text(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
