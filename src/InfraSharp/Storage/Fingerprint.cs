using System.Security.Cryptography;
using System.Text;

namespace InfraSharp.Storage;

/// <summary>Content fingerprints that tie artifacts to the exact model, tokenizer and data they came from.</summary>
public static class Fingerprint
{
    /// <summary>SHA-256 over config.json and every weight file's bytes, in name order.</summary>
    public static string Model(string modelDir)
    {
        var files = new List<string> { Path.Combine(modelDir, "config.json") };
        files.AddRange(Directory.GetFiles(modelDir, "*.safetensors").OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal));
        return Files(files);
    }

    /// <summary>SHA-256 over tokenizer.json, tokenizer_config.json and a chat_template.jinja when present.</summary>
    public static string Tokenizer(string dir) =>
        Files(new[] { "tokenizer.json", "tokenizer_config.json", "chat_template.jinja" }.Select(f => Path.Combine(dir, f)).Where(File.Exists));

    public static string Files(IEnumerable<string> files)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buf = new byte[1 << 20];
        foreach (var f in files)
        {
            h.AppendData(Encoding.UTF8.GetBytes(Path.GetFileName(f) + "\0"));
            using var s = File.OpenRead(f);
            int n;
            while ((n = s.Read(buf)) > 0) h.AppendData(buf, 0, n);
        }
        return Convert.ToHexStringLower(h.GetHashAndReset());
    }

    /// <summary>SHA-256 of a text (UTF-8).</summary>
    public static string Text(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
