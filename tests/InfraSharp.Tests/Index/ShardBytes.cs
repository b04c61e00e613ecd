using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace InfraSharp.Tests.Index;

/// <summary>
/// Edits a shard file's bytes the way an attacker or a bad disk could, written from the format as documented on
/// ShardFile (not with its code): a value changed with every checksum made to match again, or the format version.
/// </summary>
public static class ShardBytes
{
    private const int HeaderBytes = 4096,
        HeaderSumAt = HeaderBytes - 8;

    private static long Align(long x) => (x + 63) / 64 * 64;

    public sealed record Layout(
        long Rows,
        int Dim,
        int ElementBytes,
        int ChecksumRows,
        long Table,
        long Data,
        string Json
    );

    public static Layout Read(byte[] file)
    {
        int len = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(8));
        string json = Encoding.UTF8.GetString(file, 12, len);
        var h = JsonNode.Parse(json)!;
        long rows = h["rows"]!.GetValue<long>();
        int dim = h["dim"]!.GetValue<int>(),
            cr = h["checksum_rows"]!.GetValue<int>();
        int element = h["d_type"]!.GetValue<string>() == "float16" ? 2 : 4;
        long table = Align(HeaderBytes + 4 * rows),
            blocks = (rows + cr - 1) / cr;
        return new Layout(rows, dim, element, cr, table, Align(table + 8 * blocks), json);
    }

    /// <summary>Sets one stored value and reseals the shard (block, table and header checksums).</summary>
    public static void SetValue(string path, long row, int column, float value)
    {
        var f = File.ReadAllBytes(path);
        var l = Read(f);
        long at = l.Data + (row * l.Dim + column) * l.ElementBytes;
        if (l.ElementBytes == 2)
            BinaryPrimitives.WriteHalfLittleEndian(f.AsSpan((int)at), (Half)value);
        else
            BinaryPrimitives.WriteSingleLittleEndian(f.AsSpan((int)at), value);
        long b = row / l.ChecksumRows,
            start = b * l.ChecksumRows,
            n = Math.Min(l.ChecksumRows, l.Rows - start);
        var hash = new XxHash3();
        hash.Append(f.AsSpan((int)(HeaderBytes + 4 * start), (int)(4 * n)));
        hash.Append(f.AsSpan((int)(l.Data + start * l.Dim * l.ElementBytes), (int)(n * l.Dim * l.ElementBytes)));
        BinaryPrimitives.WriteUInt64LittleEndian(f.AsSpan((int)(l.Table + 8 * b)), hash.GetCurrentHashAsUInt64());
        long blocks = (l.Rows + l.ChecksumRows - 1) / l.ChecksumRows;
        string sum = XxHash3.HashToUInt64(f.AsSpan((int)l.Table, (int)(8 * blocks))).ToString("x16");
        string json = Regex.Replace(l.Json, "(\"table_checksum\":\\s*\")[0-9a-f]{16}\"", m =>
            m.Groups[1].Value + sum + "\""
        );
        Encoding.UTF8.GetBytes(json).CopyTo(f, 12);
        BinaryPrimitives.WriteUInt64LittleEndian(f.AsSpan(HeaderSumAt), XxHash3.HashToUInt64(f.AsSpan(0, HeaderSumAt)));
        File.WriteAllBytes(path, f);
    }

    /// <summary>Rewrites the header's format version (same length, checksum left as it was).</summary>
    public static void SetVersion(string path, int version)
    {
        var f = File.ReadAllBytes(path);
        var l = Read(f);
        string json = Regex.Replace(l.Json, "(\"version\":\\s*)\\d", m => m.Groups[1].Value + version);
        Encoding.UTF8.GetBytes(json).CopyTo(f, 12);
        File.WriteAllBytes(path, f);
    }
}
