using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace InfraSharp.Storage;

/// <summary>One tensor's entry in a safetensors header.</summary>
public sealed record SafeTensorEntry(string Name, SafeTensorDType DType, long[] Shape, long Begin, long End);

/// <summary>
/// The safetensors format (8-byte little-endian header length, JSON header, raw little-endian data), read and
/// written by hand so that every dtype conversion is visible: BF16 and F16 widen to float32 exactly.
/// </summary>
public sealed class SafeTensorsFile
{
    public string Path { get; }
    public IReadOnlyDictionary<string, SafeTensorEntry> Entries { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }
    private readonly long _dataStart;

    private SafeTensorsFile(string path, Dictionary<string, SafeTensorEntry> entries, Dictionary<string, string> metadata, long dataStart)
    {
        Path = path; Entries = entries; Metadata = metadata; _dataStart = dataStart;
    }

    public static SafeTensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw InputError.MissingFile($"safetensors file not found: {path}", path);
        using var fs = File.OpenRead(path);
        Span<byte> lenBytes = stackalloc byte[8];
        if (fs.Read(lenBytes) != 8) throw InputError.Data($"{path}: too short to be a safetensors file");
        long headerLen = BinaryPrimitives.ReadInt64LittleEndian(lenBytes);
        if (headerLen <= 0 || headerLen > 100_000_000 || headerLen + 8 > fs.Length)
            throw InputError.Data($"{path}: bad safetensors header length {headerLen}");
        var header = new byte[headerLen];
        fs.ReadExactly(header);
        JsonObject root;
        try { root = JsonNode.Parse(header)!.AsObject(); }
        catch (JsonException e) { throw InputError.Data($"{path}: safetensors header is not valid JSON: {e.Message}"); }
        var entries = new Dictionary<string, SafeTensorEntry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>();
        long dataLen = fs.Length - 8 - headerLen;
        foreach (var (name, node) in root)
        {
            if (name == "__metadata__")
            {
                foreach (var (k, v) in node!.AsObject()) metadata[k] = v?.GetValue<string>() ?? "";
                continue;
            }
            var o = node!.AsObject();
            var dtype = SafeTensorDTypes.Parse(o["dtype"]!.GetValue<string>(), path, name);
            var shape = o["shape"]!.AsArray().Select(x => x!.GetValue<long>()).ToArray();
            var offs = o["data_offsets"]!.AsArray();
            long b = offs[0]!.GetValue<long>(), e = offs[1]!.GetValue<long>();
            long expect = shape.Aggregate(1L, (a, x) => a * x) * dtype.ByteSize();
            if (e - b != expect || e > dataLen || b < 0)
                throw InputError.Data($"{path}: tensor '{name}' offsets [{b},{e}) do not match its shape or the file size");
            entries[name] = new SafeTensorEntry(name, dtype, shape, b, e);
        }
        return new SafeTensorsFile(path, entries, metadata, 8 + headerLen);
    }

    public byte[] ReadRaw(string name)
    {
        if (!Entries.TryGetValue(name, out var e)) throw InputError.Flag(new KeyNotFoundException($"{Path}: no tensor named '{name}'"));
        using var fs = File.OpenRead(Path);
        fs.Seek(_dataStart + e.Begin, SeekOrigin.Begin);
        var buf = new byte[e.End - e.Begin];
        fs.ReadExactly(buf);
        return buf;
    }

    /// <summary>Reads a tensor as float32 (floating types) or int64 (integer types), on the CPU.</summary>
    public Tensor Read(string name)
    {
        var e = Entries[name];
        var raw = ReadRaw(name);
        return FromRaw(raw, e.DType, e.Shape);
    }

    public static Tensor FromRaw(byte[] raw, SafeTensorDType dtype, long[] shape) => dtype switch
    {
        SafeTensorDType.F32 => torch.tensor(Reinterpret<float>(raw), shape),
        SafeTensorDType.F64 => torch.tensor(Reinterpret<double>(raw), shape),
        SafeTensorDType.I64 => torch.tensor(Reinterpret<long>(raw), shape),
        SafeTensorDType.I32 => torch.tensor(Reinterpret<int>(raw), shape).to(ScalarType.Int64),
        // Half-precision formats widen exactly to float32: BF16 is the top half of a float32.
        SafeTensorDType.BF16 => torch.tensor(Widen(raw, h => BitConverter.Int32BitsToSingle(h << 16)), shape),
        SafeTensorDType.F16 => torch.tensor(Widen(raw, h => (float)BitConverter.UInt16BitsToHalf(h)), shape),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    private static T[] Reinterpret<T>(byte[] raw) where T : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(raw).ToArray();

    private static float[] Widen(byte[] raw, Func<ushort, float> convert)
    {
        var f = new float[raw.Length / 2];
        for (int i = 0; i < f.Length; i++) f[i] = convert(BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(2 * i)));
        return f;
    }

    public static Dictionary<string, Tensor> ReadAll(string path)
    {
        var f = Open(path);
        return f.Entries.Keys.ToDictionary(k => k, f.Read, StringComparer.Ordinal);
    }

    /// <summary>
    /// Writes tensors in name order (deterministic bytes for the same inputs). Float32/BF16 tensors are stored
    /// as <paramref name="floatType"/> (F32, BF16 or F16; both round to nearest even, as torch does); float64
    /// tensors stay F64.
    /// </summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null, SafeTensorDType floatType = SafeTensorDType.F32)
    {
        var items = tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var m = new JsonObject();
            foreach (var (k, v) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) m[k] = v;
            header["__metadata__"] = m;
        }
        var blobs = new List<byte[]>();
        long offset = 0;
        foreach (var (name, t) in items)
        {
            var (dtype, bytes) = ToRaw(t, floatType);
            header[name] = new JsonObject
            {
                ["dtype"] = dtype.ToString(),
                ["shape"] = new JsonArray(t.shape.Select(s => (JsonNode)JsonValue.Create(s)!).ToArray()),
                ["data_offsets"] = new JsonArray(JsonValue.Create(offset), JsonValue.Create(offset + bytes.Length)),
            };
            offset += bytes.Length;
            blobs.Add(bytes);
        }
        var headerBytes = System.Text.Encoding.UTF8.GetBytes(header.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
        int pad = (8 - headerBytes.Length % 8) % 8; // the format recommends 8-byte alignment of the data
        var padded = new byte[headerBytes.Length + pad];
        headerBytes.CopyTo(padded, 0);
        for (int i = headerBytes.Length; i < padded.Length; i++) padded[i] = (byte)' ';
        AtomicFile.Write(path, s =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(len, padded.Length);
            s.Write(len);
            s.Write(padded);
            foreach (var b in blobs) s.Write(b);
        });
    }

    private static (SafeTensorDType, byte[]) ToRaw(Tensor t, SafeTensorDType floatType)
    {
        using var scope = torch.NewDisposeScope();
        var c = t.detach().cpu().contiguous();
        switch (c.dtype)
        {
            case ScalarType.Int64:
            {
                var a = c.data<long>().ToArray();
                var b = new byte[a.Length * 8]; Buffer.BlockCopy(a, 0, b, 0, b.Length);
                return (SafeTensorDType.I64, b);
            }
            case ScalarType.Int32:
            {
                var a = c.data<int>().ToArray();
                var b = new byte[a.Length * 4]; Buffer.BlockCopy(a, 0, b, 0, b.Length);
                return (SafeTensorDType.I32, b);
            }
            case ScalarType.Float64: // a float64 tensor is float64 on purpose (sums, exact merges)
            {
                var a = c.data<double>().ToArray();
                var b = new byte[a.Length * 8]; Buffer.BlockCopy(a, 0, b, 0, b.Length);
                return (SafeTensorDType.F64, b);
            }
        }
        var f = c.to(ScalarType.Float32).data<float>().ToArray();
        if (floatType == SafeTensorDType.F16)
        {
            var b = new byte[f.Length * 2];
            for (int i = 0; i < f.Length; i++)
                BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(2 * i), BitConverter.HalfToUInt16Bits((Half)f[i]));
            return (SafeTensorDType.F16, b);
        }
        if (floatType == SafeTensorDType.BF16)
        {
            var b = new byte[f.Length * 2];
            for (int i = 0; i < f.Length; i++)
                BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(2 * i), FloatToBf16(f[i]));
            return (SafeTensorDType.BF16, b);
        }
        var fb = new byte[f.Length * 4]; Buffer.BlockCopy(f, 0, fb, 0, fb.Length);
        return (SafeTensorDType.F32, fb);
    }

    /// <summary>Round-to-nearest-even float32 to bfloat16, NaN kept as a quiet NaN.</summary>
    public static ushort FloatToBf16(float x)
    {
        uint bits = BitConverter.SingleToUInt32Bits(x);
        if (float.IsNaN(x)) return (ushort)((bits >> 16) | 0x40);
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }
}
