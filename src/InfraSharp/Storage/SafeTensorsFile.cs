using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace InfraSharp.Storage;

/// <summary>One tensor's entry in a safetensors header.</summary>
internal sealed record SafeTensorEntry(string Name, SafeTensorDType DType, long[] Shape, long Begin, long End);

/// <summary>
/// The safetensors format (8-byte little-endian header length, JSON header, raw little-endian data), read and
/// written by hand so that every dtype conversion is visible: BF16 and F16 widen to float32 exactly.
/// Tensor bytes never pass through a managed array of the whole tensor: reads copy from a memory-mapped view
/// straight into the tensor's storage, writes stream from the tensor's storage to the file, so a tensor may
/// exceed 2 GiB (the limit of a .NET array or span).
/// </summary>
internal sealed class SafeTensorsFile
{
    /// <summary>
    /// Bytes move between file and tensor in pieces of at most this size: a piece must fit a span (int length),
    /// and a mapped view of one piece at a time keeps the mapping's share of resident memory small.
    /// </summary>
    internal const long PieceBytes = 1L << 30;

    /// <summary>Elements converted per step when a float tensor is stored as BF16/F16: a few MiB of scratch.</summary>
    private const int ConvertElements = 1 << 20;

    private const long MaxHeaderBytes = 100_000_000; // the limit the reference implementation enforces

    public string Path { get; }
    public IReadOnlyDictionary<string, SafeTensorEntry> Entries { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }
    private readonly long _dataStart;

    private SafeTensorsFile(
        string path,
        Dictionary<string, SafeTensorEntry> entries,
        Dictionary<string, string> metadata,
        long dataStart
    )
    {
        Path = path;
        Entries = entries;
        Metadata = metadata;
        _dataStart = dataStart;
    }

    /// <summary>
    /// Reads and checks the header. A file that is truncated or whose header is malformed is an
    /// <see cref="InvalidDataException"/> with a one-line message that starts with the path.
    /// </summary>
    public static SafeTensorsFile Open(string path)
    {
        if (!File.Exists(path))
            throw InputError.MissingFile($"safetensors file not found: {path}", path);
        using var fs = File.OpenRead(path);
        long fileLength = fs.Length;
        if (fileLength < 8)
            throw Bad(path, $"truncated: {fileLength} bytes, too short to be a safetensors file");
        Span<byte> lenBytes = stackalloc byte[8];
        fs.ReadExactly(lenBytes);
        long headerLen = BinaryPrimitives.ReadInt64LittleEndian(lenBytes);
        if (headerLen <= 0 || headerLen > MaxHeaderBytes)
            throw Bad(path, $"bad safetensors header length {headerLen}");
        if (headerLen > fileLength - 8)
            throw Bad(path, $"truncated: the header is {headerLen} bytes but only {fileLength - 8} follow its length");
        var header = new byte[headerLen];
        fs.ReadExactly(header);
        long dataLen = fileLength - 8 - headerLen;
        var entries = new Dictionary<string, SafeTensorEntry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>();
        List<KeyValuePair<string, JsonNode?>> fields;
        try
        {
            var root =
                JsonNode.Parse(header) as JsonObject ?? throw Bad(path, "safetensors header is not a JSON object");
            fields = root.ToList(); // materialises the object here, where a duplicate key surfaces
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            throw Bad(path, $"safetensors header is not valid JSON: {e.Message}");
        }
        foreach (var (name, node) in fields)
        {
            if (name == "__metadata__")
                ReadMetadata(path, node, metadata);
            else
                entries[name] = ReadEntry(path, name, node, dataLen);
        }
        return new SafeTensorsFile(path, entries, metadata, 8 + headerLen);
    }

    private static void ReadMetadata(string path, JsonNode? node, Dictionary<string, string> metadata)
    {
        if (node is not JsonObject o)
            throw Bad(path, "__metadata__ is not a JSON object");
        foreach (var (k, v) in o)
        {
            if (v is null)
            {
                metadata[k] = "";
                continue;
            }
            metadata[k] =
                v is JsonValue s && s.TryGetValue<string>(out var text)
                    ? text
                    : throw Bad(path, $"__metadata__ value '{k}' is not a string");
        }
    }

    private static SafeTensorEntry ReadEntry(string path, string name, JsonNode? node, long dataLen)
    {
        if (node is not JsonObject o)
            throw Bad(path, $"tensor '{name}': its header entry is not a JSON object");
        string dtypeName =
            o["dtype"] is JsonValue d && d.TryGetValue<string>(out var s)
                ? s
                : throw Bad(path, $"tensor '{name}': \"dtype\" is missing or not a string");
        var dtype = SafeTensorDTypes.Parse(dtypeName, path, name);
        long[] shape = Longs(path, name, o, "shape");
        long[] offsets = Longs(path, name, o, "data_offsets");
        if (offsets.Length != 2)
            throw Bad(path, $"tensor '{name}': \"data_offsets\" must hold two numbers");
        if (shape.Any(x => x < 0))
            throw Bad(path, $"tensor '{name}': negative size in shape {Show(shape)}");
        long expect;
        try
        {
            expect = checked(shape.Aggregate(1L, (a, x) => a * x) * dtype.ByteSize());
        }
        catch (OverflowException)
        {
            throw Bad(path, $"tensor '{name}': shape {Show(shape)} is too large");
        }
        long b = offsets[0],
            e = offsets[1];
        if (b < 0 || e < b || e - b != expect)
            throw Bad(
                path,
                $"tensor '{name}': data_offsets [{b},{e}) do not match its shape {Show(shape)} "
                    + $"and dtype {dtype} ({expect} bytes)"
            );
        if (e > dataLen)
            throw Bad(
                path,
                $"truncated: tensor '{name}' ends at data byte {e} " + $"but the file holds {dataLen} data bytes"
            );
        return new SafeTensorEntry(name, dtype, shape, b, e);
    }

    private static long[] Longs(string path, string name, JsonObject o, string field)
    {
        if (o[field] is not JsonArray a)
            throw Bad(path, $"tensor '{name}': \"{field}\" is missing or not an array");
        return a.Select(x =>
                x is JsonValue v && v.TryGetValue<long>(out var l)
                    ? l
                    : throw Bad(path, $"tensor '{name}': \"{field}\" holds something other than integers")
            )
            .ToArray();
    }

    private static string Show(long[] shape) => "[" + string.Join(",", shape) + "]";

    /// <summary>One line, the path first: the message names the file however the caller reports it.</summary>
    private static InvalidDataException Bad(string path, string what) =>
        InputError.Data($"{path}: {what}".ReplaceLineEndings(" "));

    private SafeTensorEntry Entry(string name) =>
        Entries.TryGetValue(name, out var e)
            ? e
            : throw new InputKeyNotFoundException($"{Path}: no tensor named '{name}'");

    /// <summary>A tensor's bytes as a managed array; only for tensors under 2 GiB (use <see cref="Read"/>).</summary>
    public byte[] ReadRaw(string name)
    {
        var e = Entry(name);
        if (e.End - e.Begin > Array.MaxLength)
            throw new InvalidOperationException(
                $"{Path}: tensor '{name}' is {e.End - e.Begin} bytes, "
                    + "more than a .NET array holds; read it with Read or ReadStored"
            );
        using var fs = File.OpenRead(Path);
        if (fs.Length < _dataStart + e.End)
            throw Bad(Path, "truncated since it was opened");
        fs.Seek(_dataStart + e.Begin, SeekOrigin.Begin);
        var buf = new byte[e.End - e.Begin];
        fs.ReadExactly(buf);
        return buf;
    }

    /// <summary>Reads a tensor as float32 (BF16, F16, F32), float64 (F64) or int64 (I64, I32), on the CPU.</summary>
    public Tensor Read(string name) => Widen(ReadStored(name));

    /// <summary>Reads a tensor in its stored element type (BF16 stays bfloat16, I32 int32), on the CPU.</summary>
    public Tensor ReadStored(string name)
    {
        var e = Entry(name);
        using var map = e.End == e.Begin ? null : MapData(e.End);
        return ReadStored(e, map);
    }

    public static Dictionary<string, Tensor> ReadAll(string path)
    {
        var f = Open(path);
        long end = f.Entries.Values.Select(e => e.End).DefaultIfEmpty(0).Max();
        using var map = end == 0 ? null : f.MapData(end);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, e) in f.Entries)
                result[name] = Widen(f.ReadStored(e, map));
        }
        catch
        {
            foreach (var t in result.Values)
                t.Dispose();
            throw;
        }
        return result;
    }

    /// <summary>Maps the file read-only, once its length covers the data up to <paramref name="end"/>.</summary>
    private MemoryMappedFile MapData(long end)
    {
        var fs = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        try
        {
            // Touching mapped bytes past the end of the file kills the process (SIGBUS) instead of throwing, so a
            // file that shrank since Open is refused here, before anything is mapped.
            if (fs.Length < _dataStart + end)
                throw Bad(
                    Path,
                    $"truncated since it was opened: {fs.Length} bytes, " + $"the header needs {_dataStart + end}"
                );
            return MemoryMappedFile.CreateFromFile(
                fs,
                null,
                0,
                MemoryMappedFileAccess.Read,
                HandleInheritability.None,
                leaveOpen: false
            );
        }
        catch
        {
            fs.Dispose();
            throw;
        }
    }

    private Tensor ReadStored(SafeTensorEntry e, MemoryMappedFile? map)
    {
        RequireLittleEndian();
        var t = empty(e.Shape, e.DType.ToScalarType());
        try
        {
            using var flat = t.view(-1);
            long size = e.DType.ByteSize(),
                per = PieceBytes / size,
                n = flat.shape[0];
            for (long s = 0; s < n; s += per)
            {
                long k = Math.Min(per, n - s);
                // narrow of a contiguous 1-D view is contiguous, and its bytes span starts at the piece's element.
                using var piece = flat.narrow(0, s, k);
                using var view = map!.CreateViewAccessor(
                    _dataStart + e.Begin + s * size,
                    k * size,
                    MemoryMappedFileAccess.Read
                );
                // Copied straight from the mapping: a view *stream* would read through a pooled array as large as
                // the piece (Stream's fallback for Read(Span)), and the pool would keep it.
                view.SafeMemoryMappedViewHandle.ReadSpan((ulong)view.PointerOffset, piece.bytes);
            }
            return t;
        }
        catch
        {
            t.Dispose();
            throw;
        }
    }

    /// <summary>The half-precision and int32 types widen exactly: BF16 is the top half of a float32.</summary>
    private static Tensor Widen(Tensor stored)
    {
        ScalarType? to = stored.dtype switch
        {
            ScalarType.BFloat16 or ScalarType.Float16 => ScalarType.Float32,
            ScalarType.Int32 => ScalarType.Int64,
            _ => null,
        };
        if (to is null)
            return stored;
        using (stored)
            return stored.to(to.Value);
    }

    /// <summary>A tensor from a tensor's stored bytes (as <see cref="Read"/> returns it).</summary>
    public static Tensor FromRaw(byte[] raw, SafeTensorDType dtype, long[] shape)
    {
        RequireLittleEndian();
        long expect = checked(shape.Aggregate(1L, (a, x) => a * x) * dtype.ByteSize());
        if (raw.LongLength != expect)
            throw InputError.Argument($"{raw.Length} bytes do not hold a {dtype} tensor of shape {Show(shape)}");
        var t = empty(shape, dtype.ToScalarType());
        if (raw.Length > 0)
            t.bytes = raw;
        return Widen(t);
    }

    /// <summary>
    /// Writes tensors in name order (deterministic bytes for the same inputs). Float32/BF16 tensors are stored
    /// as <paramref name="floatType"/> (F32, BF16 or F16; both round to nearest even, as torch does); float64
    /// tensors stay F64. The header goes first, then each tensor streams from its (contiguous, CPU) storage,
    /// into a temporary file that is renamed into place when complete.
    /// </summary>
    public static void Write(
        string path,
        IEnumerable<KeyValuePair<string, Tensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null,
        SafeTensorDType floatType = SafeTensorDType.F32
    )
    {
        if (floatType is not (SafeTensorDType.F32 or SafeTensorDType.BF16 or SafeTensorDType.F16))
            throw new ArgumentOutOfRangeException(
                nameof(floatType),
                floatType,
                "floats are stored as F32, BF16 or F16"
            );
        RequireLittleEndian();
        var items = tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var m = new JsonObject();
            foreach (var (k, v) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                m[k] = v;
            header["__metadata__"] = m;
        }
        var stored = new SafeTensorDType[items.Count];
        long offset = 0;
        for (int i = 0; i < items.Count; i++)
        {
            var (name, t) = items[i];
            if (name == "__metadata__" || header.ContainsKey(name))
                throw InputError.Argument($"{path}: tensor name '{name}' is used twice or reserved");
            stored[i] = StoredType(t.dtype, floatType);
            long bytes = checked(t.numel() * stored[i].ByteSize());
            header[name] = new JsonObject
            {
                ["dtype"] = stored[i].ToString(),
                ["shape"] = new JsonArray(t.shape.Select(s => (JsonNode)JsonValue.Create(s)!).ToArray()),
                ["data_offsets"] = new JsonArray(JsonValue.Create(offset), JsonValue.Create(offset + bytes)),
            };
            offset += bytes;
        }
        var headerBytes = System.Text.Encoding.UTF8.GetBytes(header.ToJsonString());
        int pad = (8 - headerBytes.Length % 8) % 8; // the format recommends 8-byte alignment of the data
        var padded = new byte[headerBytes.Length + pad];
        headerBytes.CopyTo(padded, 0);
        padded.AsSpan(headerBytes.Length).Fill((byte)' ');
        AtomicFile.Write(path, s =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(len, padded.Length);
            s.Write(len);
            s.Write(padded);
            for (int i = 0; i < items.Count; i++)
                WriteData(s, items[i].Value, stored[i]);
        });
    }

    /// <summary>Integers and float64 keep their type; any other is a float, stored as the float type asked.</summary>
    private static SafeTensorDType StoredType(ScalarType t, SafeTensorDType floatType) =>
        t switch
        {
            ScalarType.Int64 => SafeTensorDType.I64,
            ScalarType.Int32 => SafeTensorDType.I32,
            ScalarType.Float64 => SafeTensorDType.F64, // a float64 tensor is float64 on purpose (sums, exact merges)
            _ => floatType,
        };

    private static void WriteData(Stream s, Tensor t, SafeTensorDType dtype)
    {
        using var scope = NewDisposeScope();
        // A CPU contiguous tensor is used in place; anything else costs one contiguous CPU copy of this tensor.
        var flat = t.detach().cpu().contiguous().view(-1);
        if (flat.dtype == dtype.ToScalarType())
        {
            WritePieces(s, flat);
            return;
        }
        // Floats of another type: converted a chunk at a time, so no copy of the whole tensor is made.
        var buffer = dtype == SafeTensorDType.F32 ? null : new byte[2 * ConvertElements];
        long n = flat.shape[0];
        for (long start = 0; start < n; start += ConvertElements)
        {
            using var chunkScope = NewDisposeScope();
            int k = (int)Math.Min(ConvertElements, n - start);
            var f32 = flat.narrow(0, start, k).to(ScalarType.Float32);
            if (buffer is null)
            {
                s.Write(f32.bytes);
                continue;
            }
            // Converted here rather than by torch so that the bytes stay those of FloatToBf16 and (Half),
            // NaN payloads included.
            var src = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(f32.bytes);
            var dst = buffer.AsSpan(0, 2 * k);
            for (int i = 0; i < k; i++)
            {
                ushort bits =
                    dtype == SafeTensorDType.BF16 ? FloatToBf16(src[i]) : BitConverter.HalfToUInt16Bits((Half)src[i]);
                BinaryPrimitives.WriteUInt16LittleEndian(dst[(2 * i)..], bits);
            }
            s.Write(dst);
        }
    }

    /// <summary>Writes a contiguous 1-D tensor's storage as it is, <see cref="PieceBytes"/> at a time.</summary>
    private static void WritePieces(Stream s, Tensor flat)
    {
        long per = PieceBytes / flat.element_size(),
            n = flat.shape[0];
        for (long start = 0; start < n; start += per)
        {
            using var piece = flat.narrow(0, start, Math.Min(per, n - start));
            s.Write(piece.bytes);
        }
    }

    /// <summary>Tensor storage is copied to and from the file as it is, so it must already be little-endian.</summary>
    private static void RequireLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("safetensors are little-endian; this machine is not");
    }

    /// <summary>Round-to-nearest-even float32 to bfloat16, NaN kept as a quiet NaN.</summary>
    public static ushort FloatToBf16(float x)
    {
        uint bits = BitConverter.SingleToUInt32Bits(x);
        if (float.IsNaN(x))
            return (ushort)((bits >> 16) | 0x40);
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }
}
