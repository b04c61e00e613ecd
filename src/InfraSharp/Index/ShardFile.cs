using System.Buffers.Binary;
using System.IO.Hashing;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Text.Json;
using InfraSharp.Storage;
using static TorchSharp.torch;

namespace InfraSharp.Index;

/// <summary>
/// One shard of the gradient store (format version 2): a fixed 4 KiB header (magic, JSON <see cref="ShardHeader"/>,
/// zeros, and in its last 8 bytes the XXH3-64 of the 4,088 before them), then one float32 scale per row, then the
/// table of block checksums (one XXH3-64 per <see cref="ShardHeader.ChecksumRows"/> rows, over the block's scales
/// then its rows; the table's own checksum is in the header), then the rows (float16 or float32, row-major), each
/// section 64-byte aligned. float16 rows are stored divided by their largest magnitude (the scale), so no gradient
/// overflows or flushes to zero whatever its size; a row's vector is scale × stored values. Written whole to a
/// temporary file and renamed, so a shard on disk is always complete. Opening checks the length, the header and the
/// table (cheap); every read of rows (<see cref="Block"/>) checks the checksums of the blocks it returns, so a
/// flipped byte is refused, naming the shard and block, by the query that would read it.
/// </summary>
internal sealed class ShardFile : IDisposable
{
    public const int HeaderBytes = 4096;
    private const int HeaderSumAt = HeaderBytes - 8;

    /// <summary>At most this many bytes of rows per checksum block (and at most 1,024 rows).</summary>
    private const long BlockBytesLimit = 16L << 20;
    private static readonly byte[] Magic = "INFRAIDX"u8.ToArray();

    public string Path { get; }
    public ShardHeader Header { get; }
    private readonly MemoryMappedFile _map;

    // The file the mapping was made from (the mapping owns and closes it): blocks are read with pread, which copies
    // from the page cache without faulting a fresh view's pages in, about ten times faster than a view per block.
    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle _file;
    private readonly ulong[] _sums;

    private ShardFile(
        string path,
        ShardHeader header,
        MemoryMappedFile map,
        Microsoft.Win32.SafeHandles.SafeFileHandle file,
        ulong[] sums
    )
    {
        Path = path;
        Header = header;
        _map = map;
        _file = file;
        _sums = sums;
    }

    private static long Align(long x) => (x + 63) / 64 * 64;

    private static long ScalesOffset => HeaderBytes;

    private static long Blocks(ShardHeader h) => (h.Rows + h.ChecksumRows - 1) / h.ChecksumRows;

    private static long TableOffset(ShardHeader h) => Align(HeaderBytes + 4 * h.Rows);

    private static long DataOffset(ShardHeader h) => Align(TableOffset(h) + 8 * Blocks(h));

    public static long ExpectedLength(ShardHeader h) => DataOffset(h) + h.Rows * h.Dim * h.ElementBytes;

    /// <summary>Number of checksum blocks.</summary>
    public long BlockCount => _sums.LongLength;

    /// <summary>
    /// Rows per checksum block for rows of <paramref name="rowBytes"/> bytes: 1,024, halved until a block holds at most
    /// 16 MiB (a power of two, so that every read size used here, 4,096 and 8,192 rows, is a whole number of blocks).
    /// </summary>
    private static int ChecksumRowsFor(long rowBytes)
    {
        int rows = 1024;
        while (rows > 1 && rows * rowBytes > BlockBytesLimit)
            rows /= 2;
        return rows;
    }

    /// <summary>
    /// Writes vectors [rows, dim] (float32, CPU) as a shard with <paramref name="header"/>'s fields; a row holding
    /// NaN or Inf is refused, naming the shard and row (it would otherwise score NaN and drop out of every top-k).
    /// </summary>
    public static void Write(string path, Tensor vectors, ShardHeader header)
    {
        if (vectors.shape[0] != header.Rows || vectors.shape[1] != header.Dim)
            throw new ArgumentException($"vectors [{vectors.shape[0]}, {vectors.shape[1]}] do not match the header");
        using var scope = NewDisposeScope();
        var v = vectors.to(ScalarType.Float32).cpu().contiguous();
        if (FirstNonFiniteRow(v) is long bad)
            throw InputError.Data($"{path}: row {bad} holds NaN or Inf; the model or data gives non-finite gradients");
        header = header with
        {
            Version = ShardHeader.FormatVersion,
            ChecksumRows = ChecksumRowsFor((long)header.Dim * header.ElementBytes),
        };
        Tensor scales,
            data;
        if (header.DType == "float16")
        {
            var max = v.abs().amax([1L]);
            scales = where(max > 0, max, ones_like(max)).contiguous();
            data = (v / scales.unsqueeze(1)).to(ScalarType.Float16).contiguous();
        }
        else
        {
            scales = ones(header.Rows, dtype: ScalarType.Float32);
            data = v;
        }
        var sums = new ulong[Blocks(header)];
        var hash = new XxHash3();
        for (long b = 0; b < sums.LongLength; b++)
        {
            long s = b * header.ChecksumRows,
                n = Math.Min(header.ChecksumRows, header.Rows - s);
            sums[b] = BlockSum(hash, scales.narrow(0, s, n), data.narrow(0, s, n));
        }
        var table = MemoryMarshal.AsBytes(sums.AsSpan()).ToArray(); // little-endian, as every supported CPU
        header = header with { TableChecksum = XxHash3.HashToUInt64(table).ToString("x16") };
        var json = JsonSerializer.SerializeToUtf8Bytes(header, IndexJson.Manifest.ShardHeader);
        if (json.Length > HeaderSumAt - 12)
            throw new InvalidOperationException("shard header too long");
        var head = new byte[HeaderBytes];
        Magic.CopyTo(head, 0);
        BinaryPrimitives.WriteInt32LittleEndian(head.AsSpan(8), json.Length);
        json.CopyTo(head, 12);
        BinaryPrimitives.WriteUInt64LittleEndian(
            head.AsSpan(HeaderSumAt),
            XxHash3.HashToUInt64(head.AsSpan(0, HeaderSumAt))
        );
        AtomicFile.Write(path, s =>
        {
            s.Write(head);
            s.Write(scales.bytes);
            s.Write(new byte[TableOffset(header) - HeaderBytes - 4 * header.Rows]);
            s.Write(table);
            s.Write(new byte[DataOffset(header) - TableOffset(header) - table.Length]);
            WriteLarge(s, data);
        });
    }

    private static ulong BlockSum(XxHash3 hash, Tensor scales, Tensor rows)
    {
        hash.Reset();
        hash.Append(scales.bytes);
        hash.Append(rows.bytes);
        return hash.GetCurrentHashAsUInt64();
    }

    /// <summary>The first row (of a float32 [rows, dim] tensor) that holds NaN or Inf, or null.</summary>
    public static long? FirstNonFiniteRow(Tensor vectors)
    {
        using var scope = NewDisposeScope();
        var finite = vectors.isfinite().all(1);
        if (finite.all().item<bool>())
            return null;
        return finite.logical_not().nonzero()[0, 0].item<long>();
    }

    /// <summary>
    /// The first row of a block as stored (<see cref="Block"/>'s rows and scales) that holds NaN or Inf, or null;
    /// float16 rows are tested on their bits (exponent all ones), which is many times faster than widening them.
    /// A finite stored value times a finite scale stays finite (float16 rows hold magnitudes of at most 1).
    /// </summary>
    public static long? FirstNonFiniteStoredRow(Tensor rows, Tensor scales)
    {
        using var scope = NewDisposeScope();
        Tensor bad;
        if (rows.dtype == ScalarType.Float16)
        {
            var bits = empty(rows.shape, dtype: ScalarType.Int16); // the same bytes, read as integers
            rows.bytes.CopyTo(bits.bytes);
            bad = bits.bitwise_and(0x7C00).eq(0x7C00).any(1);
        }
        else
            bad = rows.isfinite().logical_not().any(1);
        bad = bad.logical_or(scales.isfinite().logical_not());
        if (!bad.any().item<bool>())
            return null;
        return bad.nonzero()[0, 0].item<long>();
    }

    /// <summary>Streams a tensor's bytes in pieces a span can hold (a shard may pass 2 GiB).</summary>
    private static void WriteLarge(Stream s, Tensor t)
    {
        using var flat = t.view(-1);
        long per = (1L << 30) / t.ElementSize,
            n = flat.shape[0];
        for (long i = 0; i < n; i += per)
        {
            using var piece = flat.narrow(0, i, Math.Min(per, n - i));
            s.Write(piece.bytes);
        }
    }

    /// <summary>
    /// Opens and checks a shard: magic, format version, the header's checksum, that the file holds every row its
    /// header promises, and the checksum of its table of block checksums.
    /// </summary>
    public static ShardFile Open(string path)
    {
        if (!File.Exists(path))
            throw InputError.MissingFile($"{path}: shard file missing", path);
        var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        MemoryMappedFile? map = null;
        try
        {
            var head = new byte[HeaderBytes];
            int got = fs.ReadAtLeast(head, HeaderBytes, throwOnEndOfStream: false);
            if (got < 12 || !head.AsSpan(0, 8).SequenceEqual(Magic))
                throw InputError.Data(
                    $"{path}: not a gradient index shard ({(got < 12 ? "truncated header" : "bad magic")})"
                );
            int len = BinaryPrimitives.ReadInt32LittleEndian(head.AsSpan(8));
            if (len <= 0 || len > HeaderSumAt - 12 || got < 12 + len)
                throw InputError.Data($"{path}: truncated or corrupt shard header");
            ShardHeader header;
            try
            {
                header = JsonSerializer.Deserialize(head.AsSpan(12, len), IndexJson.Manifest.ShardHeader)
                    ?? throw new JsonException("null");
            }
            catch (JsonException e)
            {
                throw InputError.Data($"{path}: corrupt shard header ({e.Message})");
            }
            if (header.Version != ShardHeader.FormatVersion)
                throw InputError.Data(
                    $"{path}: shard format version {header.Version}; this InfraSharp reads "
                        + $"version {ShardHeader.FormatVersion} (checksummed shards): rebuild the index "
                        + "(infra index build --overwrite)"
                );
            if (
                got < HeaderBytes
                || BinaryPrimitives.ReadUInt64LittleEndian(head.AsSpan(HeaderSumAt))
                    != XxHash3.HashToUInt64(head.AsSpan(0, HeaderSumAt))
            )
                throw InputError.Data($"{path}: the shard header fails its checksum: the shard is corrupt");
            if (header.DType is not ("float16" or "float32"))
                throw InputError.Data($"{path}: unknown shard dtype '{header.DType}'");
            if (header.Rows < 0 || header.Dim < 1 || header.ChecksumRows < 1 || header.TableChecksum is null)
                throw InputError.Data($"{path}: corrupt shard header (rows, dimension or checksum fields)");
            long expect = ExpectedLength(header);
            if (fs.Length != expect)
                throw InputError.Data(
                    $"{path}: truncated shard: {fs.Length} bytes, its header ({header.Rows} rows × "
                        + $"{header.Dim} {header.DType}) needs {expect}"
                );
            map = MemoryMappedFile.CreateFromFile(
                fs,
                null,
                0,
                MemoryMappedFileAccess.Read,
                HandleInheritability.None,
                leaveOpen: false
            );
            var sums = new ulong[Blocks(header)];
            if (sums.Length > 0)
            {
                using var view = map.CreateViewAccessor(
                    TableOffset(header),
                    8 * sums.LongLength,
                    MemoryMappedFileAccess.Read
                );
                view.ReadArray(0, sums, 0, sums.Length);
            }
            if (XxHash3.HashToUInt64(MemoryMarshal.AsBytes(sums.AsSpan())).ToString("x16") != header.TableChecksum)
                throw InputError.Data($"{path}: the table of block checksums fails its checksum: the shard is corrupt");
            return new ShardFile(path, header, map, fs.SafeFileHandle, sums);
        }
        catch
        {
            if (map is not null)
                map.Dispose();
            else
                fs.Dispose();
            throw;
        }
    }

    /// <summary>
    /// <paramref name="rows"/> rounded up to whole checksum blocks (at least one): the step a reader takes so that
    /// every block it reads is checked whole.
    /// </summary>
    public long WholeBlocks(long rows) =>
        Math.Max(1, (rows + Header.ChecksumRows - 1) / Header.ChecksumRows) * Header.ChecksumRows;

    /// <summary>
    /// Rows [start, start + count) in their stored dtype ([count, dim], float16 or float32) and their scales (float32
    /// [count]), copied from the mapping and checked against their blocks' checksums; multiply the rows by the scales
    /// (or fold the scales into the product). <paramref name="start"/> must begin a block, and the range end one
    /// or the shard.
    /// </summary>
    public (Tensor Rows, Tensor Scales) Block(long start, long count)
    {
        var scales = empty(count, dtype: ScalarType.Float32);
        var rows = empty([count, Header.Dim], dtype: StoredType);
        try
        {
            BlockInto(start, count, rows, scales);
            return (rows, scales);
        }
        catch
        {
            rows.Dispose();
            scales.Dispose();
            throw;
        }
    }

    /// <summary>The torch dtype of the stored rows.</summary>
    public ScalarType StoredType => Header.DType == "float16" ? ScalarType.Float16 : ScalarType.Float32;

    /// <summary>
    /// As <see cref="Block"/>, into caller-owned tensors ([count, dim] of <see cref="StoredType"/> and [count]
    /// float32, contiguous): a scan reuses one pair for every block, where a fresh 64 MiB tensor per block cost more
    /// (page faults and zeroing) than reading it.
    /// </summary>
    public void BlockInto(long start, long count, Tensor rows, Tensor scales)
    {
        long cr = Header.ChecksumRows;
        if (
            start < 0
            || count < 0
            || start + count > Header.Rows
            || start % cr != 0
            || (count % cr != 0 && start + count != Header.Rows)
        )
            throw new ArgumentException($"rows [{start}, {start + count}) are not whole checksum blocks of {cr} rows");
        Copy(ScalesOffset + 4 * start, scales);
        Copy(DataOffset(Header) + start * Header.Dim * Header.ElementBytes, rows);
        var hash = new XxHash3();
        for (long i = 0; i < count; i += cr)
        {
            long n = Math.Min(cr, count - i),
                b = (start + i) / cr;
            using var s = scales.narrow(0, i, n);
            using var r = rows.narrow(0, i, n);
            if (BlockSum(hash, s, r) != _sums[b])
                throw InputError.Data(
                    $"{Path}: block {b} (rows {start + i}-{start + i + n - 1}) fails its "
                        + "checksum: the shard is corrupt; rebuild the index"
                );
        }
    }

    private void Copy(long offset, Tensor into)
    {
        long bytes = into.numel() * into.ElementSize;
        if (bytes == 0)
            return;
        using var flat = into.view(-1);
        long per = (1L << 30) / into.ElementSize,
            n = flat.shape[0];
        for (long i = 0; i < n; i += per)
        {
            long k = Math.Min(per, n - i);
            using var piece = flat.narrow(0, i, k);
            var span = piece.bytes;
            long at = offset + i * into.ElementSize;
            while (span.Length > 0)
            {
                int got = RandomAccess.Read(_file, span, at);
                if (got <= 0)
                    throw InputError.Data($"{Path}: the shard ends before byte {at}; it is truncated");
                span = span[got..];
                at += got;
            }
        }
    }

    /// <summary>
    /// Whether the bytes no section uses (the alignment gaps after the scales and after the table) are zero, as
    /// written: checked by <c>infra index verify</c>, which reads every byte; queries never read them.
    /// </summary>
    public bool PaddingIsZero()
    {
        foreach (
            var (from, to) in new[]
            {
                (HeaderBytes + 4 * Header.Rows, TableOffset(Header)),
                (TableOffset(Header) + 8 * BlockCount, DataOffset(Header)),
            }
        )
        {
            if (to == from)
                continue;
            var gap = new byte[to - from];
            using var view = _map.CreateViewAccessor(from, gap.Length, MemoryMappedFileAccess.Read);
            view.ReadArray(0, gap, 0, gap.Length);
            if (gap.Any(b => b != 0))
                return false;
        }
        return true;
    }

    /// <summary>Rows [start, start + count) as float32 vectors, scales applied (checked as by <see cref="Block"/>).
    /// </summary>
    public Tensor Vectors(long start, long count)
    {
        using var scope = NewDisposeScope();
        var (rows, scales) = Block(start, count);
        return (rows.to(ScalarType.Float32) * scales.unsqueeze(1)).MoveToOuterDisposeScope();
    }

    public void Dispose() => _map.Dispose();
}
