using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Text.Json;
using InfraSharp.Storage;
using static TorchSharp.torch;

namespace InfraSharp.Index;

/// <summary>
/// One shard of the gradient store: a fixed 4 KiB header (magic, JSON <see cref="ShardHeader"/>), then one
/// float32 scale per row, then the rows (float16 or float32, row-major), each section 64-byte aligned. float16 rows
/// are stored divided by their largest magnitude (the scale), so no gradient overflows or flushes to zero
/// whatever its size; a row's vector is scale × stored values. Written whole to a temporary file and renamed, so
/// a shard on disk is always complete; a file shorter than its header says is refused with one line.
/// </summary>
public sealed class ShardFile : IDisposable
{
    public const int HeaderBytes = 4096;
    private static readonly byte[] Magic = "INFRAIDX"u8.ToArray();

    public string Path { get; }
    public ShardHeader Header { get; }
    private readonly MemoryMappedFile _map;

    private ShardFile(string path, ShardHeader header, MemoryMappedFile map)
    {
        Path = path; Header = header; _map = map;
    }

    private static long Align(long x) => (x + 63) / 64 * 64;
    private static long ScalesOffset => HeaderBytes;
    private static long DataOffset(long rows) => Align(HeaderBytes + 4 * rows);
    public static long ExpectedLength(ShardHeader h) => DataOffset(h.Rows) + h.Rows * h.Dim * h.ElementBytes;

    /// <summary>Writes vectors [rows, dim] (float32, CPU) as a shard with <paramref name="header"/>'s fields.</summary>
    public static void Write(string path, Tensor vectors, ShardHeader header)
    {
        if (vectors.shape[0] != header.Rows || vectors.shape[1] != header.Dim)
            throw new ArgumentException($"vectors [{vectors.shape[0]}, {vectors.shape[1]}] do not match the header");
        var json = JsonSerializer.SerializeToUtf8Bytes(header, IndexJson.Manifest.ShardHeader);
        if (json.Length > HeaderBytes - 12) throw new InvalidOperationException("shard header too long");
        using var scope = NewDisposeScope();
        var v = vectors.to(ScalarType.Float32).cpu().contiguous();
        Tensor scales, data;
        if (header.DType == "float16")
        {
            var max = v.abs().amax([1L]);
            scales = where(max > 0, max, ones_like(max));
            data = (v / scales.unsqueeze(1)).to(ScalarType.Float16).contiguous();
        }
        else
        {
            scales = ones(header.Rows, dtype: ScalarType.Float32);
            data = v;
        }
        AtomicFile.Write(path, s =>
        {
            var head = new byte[HeaderBytes];
            Magic.CopyTo(head, 0);
            BinaryPrimitives.WriteInt32LittleEndian(head.AsSpan(8), json.Length);
            json.CopyTo(head, 12);
            s.Write(head);
            s.Write(scales.contiguous().bytes);
            s.Write(new byte[DataOffset(header.Rows) - HeaderBytes - 4 * header.Rows]);
            WriteLarge(s, data);
        });
    }

    /// <summary>Streams a tensor's bytes in pieces a span can hold (a shard may pass 2 GiB).</summary>
    private static void WriteLarge(Stream s, Tensor t)
    {
        using var flat = t.view(-1);
        long per = (1L << 30) / t.ElementSize, n = flat.shape[0];
        for (long i = 0; i < n; i += per)
        {
            using var piece = flat.narrow(0, i, Math.Min(per, n - i));
            s.Write(piece.bytes);
        }
    }

    /// <summary>
    /// Opens and checks a shard: magic, header, and that the file holds every row its header promises.
    /// </summary>
    public static ShardFile Open(string path)
    {
        if (!File.Exists(path)) throw InputError.MissingFile($"{path}: shard file missing", path);
        var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        try
        {
            var head = new byte[HeaderBytes];
            int got = fs.ReadAtLeast(head, HeaderBytes, throwOnEndOfStream: false);
            if (got < 12 || !head.AsSpan(0, 8).SequenceEqual(Magic))
                throw InputError.Data(
                    $"{path}: not a gradient index shard ({(got < 12 ? "truncated header" : "bad magic")})");
            int len = BinaryPrimitives.ReadInt32LittleEndian(head.AsSpan(8));
            if (len <= 0 || len > HeaderBytes - 12 || got < 12 + len)
                throw InputError.Data($"{path}: truncated or corrupt shard header");
            ShardHeader header;
            try
            {
                header = JsonSerializer.Deserialize(head.AsSpan(12, len), IndexJson.Manifest.ShardHeader)
                    ?? throw new JsonException("null");
            }
            catch (JsonException e) { throw InputError.Data($"{path}: corrupt shard header ({e.Message})"); }
            if (header.DType is not ("float16" or "float32"))
                throw InputError.Data($"{path}: unknown shard dtype '{header.DType}'");
            long expect = ExpectedLength(header);
            if (fs.Length != expect)
                throw InputError.Data($"{path}: truncated shard: {fs.Length} bytes, its header ({header.Rows} rows × "
                    + $"{header.Dim} {header.DType}) needs {expect}");
            var map = MemoryMappedFile.CreateFromFile(fs, null, 0, MemoryMappedFileAccess.Read,
                HandleInheritability.None, leaveOpen: false);
            return new ShardFile(path, header, map);
        }
        catch
        {
            fs.Dispose();
            throw;
        }
    }

    /// <summary>The per-row scales of rows [start, start + count), float32 [count].</summary>
    public Tensor Scales(long start, long count)
    {
        var t = empty(count, dtype: ScalarType.Float32);
        Copy(ScalesOffset + 4 * start, t);
        return t;
    }

    /// <summary>
    /// Rows [start, start + count) in their stored dtype ([count, dim], float16 or float32), copied straight from
    /// the mapping into the tensor; multiply by <see cref="Scales"/> (or fold the scales into the product).
    /// </summary>
    public Tensor Rows(long start, long count)
    {
        var t = empty([count, Header.Dim], dtype: Header.DType == "float16" ? ScalarType.Float16 : ScalarType.Float32);
        Copy(DataOffset(Header.Rows) + start * Header.Dim * Header.ElementBytes, t);
        return t;
    }

    private void Copy(long offset, Tensor into)
    {
        long bytes = into.numel() * into.ElementSize;
        if (bytes == 0) return;
        using var flat = into.view(-1);
        long per = (1L << 30) / into.ElementSize, n = flat.shape[0];
        for (long i = 0; i < n; i += per)
        {
            long k = Math.Min(per, n - i);
            using var piece = flat.narrow(0, i, k);
            using var view = _map.CreateViewAccessor(offset + i * into.ElementSize, k * into.ElementSize,
                MemoryMappedFileAccess.Read);
            view.SafeMemoryMappedViewHandle.ReadSpan((ulong)view.PointerOffset, piece.bytes);
        }
    }

    /// <summary>Rows [start, start + count) as float32 vectors, scales applied.</summary>
    public Tensor Vectors(long start, long count)
    {
        using var scope = NewDisposeScope();
        return (Rows(start, count).to(ScalarType.Float32) * Scales(start, count).unsqueeze(1))
            .MoveToOuterDisposeScope();
    }

    public void Dispose() => _map.Dispose();
}
