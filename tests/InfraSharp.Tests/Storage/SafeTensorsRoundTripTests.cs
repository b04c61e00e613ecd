using System.Buffers.Binary;
using InfraSharp.Storage;
using static TorchSharp.torch;

namespace InfraSharp.Tests.Storage;

/// <summary>Every dtype, shape and conversion path of the streamed writer and the mapped reader, small.</summary>
public sealed class SafeTensorsRoundTripTests : IDisposable
{
    private readonly string _dir = Fixtures.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name + ".safetensors");

    private static float[] Floats(Tensor t) => t.contiguous().data<float>().ToArray();

    /// <summary>Values that exercise rounding: ties, subnormals, infinities, NaNs with sign and payload.</summary>
    private static readonly float[] Awkward =
    [
        0f,
        -0f,
        1f,
        -1.5f,
        1.00390625f,
        1.01171875f,
        3.14159265f,
        65504f,
        65520f,
        1e-8f,
        1e-40f,
        -1e38f,
        float.PositiveInfinity,
        float.NegativeInfinity,
        BitConverter.UInt32BitsToSingle(0x7FA00001),
        BitConverter.UInt32BitsToSingle(0xFFC00000),
        BitConverter.UInt32BitsToSingle(0x7F800001),
    ];

    [Fact]
    public void StoredTypesAndWidening()
    {
        string path = PathOf("types");
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>
        {
            ["f32"] = tensor(new[] { 1.5f, -2f, 3.25f, 4f, 5f, 6f }).reshape(2, 3),
            ["f64"] = tensor(new[] { Math.PI, -1e300 }),
            ["i64"] = tensor(new[] { long.MaxValue, long.MinValue, 3L }),
            ["i32"] = tensor(new[] { int.MaxValue, int.MinValue }),
            ["bf16"] = tensor(new[] { 1.5f, -3f }).to(ScalarType.BFloat16),
            ["f16"] = tensor(new[] { 0.5f, -7f }).to(ScalarType.Float16),
            ["u8"] = tensor(new byte[] { 0, 255 }),
        };
        SafeTensorsFile.Write(path, tensors);
        var f = SafeTensorsFile.Open(path);
        var stored = f.Entries.ToDictionary(kv => kv.Key, kv => kv.Value.DType);
        Assert.Equal(SafeTensorDType.F32, stored["f32"]);
        Assert.Equal(SafeTensorDType.F64, stored["f64"]);
        Assert.Equal(SafeTensorDType.I64, stored["i64"]);
        Assert.Equal(SafeTensorDType.I32, stored["i32"]);
        // Every other type is a float, stored as the float type asked for (F32 by default).
        Assert.Equal(SafeTensorDType.F32, stored["bf16"]);
        Assert.Equal(SafeTensorDType.F32, stored["f16"]);
        Assert.Equal(SafeTensorDType.F32, stored["u8"]);

        Assert.Equal(new long[] { 2, 3 }, f.Read("f32").shape);
        Assert.Equal(new[] { 1.5f, -2f, 3.25f, 4f, 5f, 6f }, Floats(f.Read("f32")));
        Assert.Equal(new[] { Math.PI, -1e300 }, f.Read("f64").data<double>().ToArray());
        Assert.Equal(new[] { long.MaxValue, long.MinValue, 3L }, f.Read("i64").data<long>().ToArray());
        var i32 = f.Read("i32");
        Assert.Equal(ScalarType.Int64, i32.dtype); // I32 widens to int64 on Read, stays int32 on ReadStored
        Assert.Equal(new long[] { int.MaxValue, int.MinValue }, i32.data<long>().ToArray());
        Assert.Equal(ScalarType.Int32, f.ReadStored("i32").dtype);
        Assert.Equal(new[] { 1.5f, -3f }, Floats(f.Read("bf16")));
        Assert.Equal(new[] { 0.5f, -7f }, Floats(f.Read("f16")));
        Assert.Equal(new[] { 0f, 255f }, Floats(f.Read("u8")));
        Assert.Equal(
            new[] { "f16", "f32", "f64", "i32", "i64", "u8", "bf16" }.Order(StringComparer.Ordinal),
            SafeTensorsFile.ReadAll(path).Keys.Order(StringComparer.Ordinal)
        );
    }

    [Theory]
    [InlineData(SafeTensorDType.BF16)]
    [InlineData(SafeTensorDType.F16)]
    public void HalfPrecisionBytesAreThoseOfTheScalarConversion(SafeTensorDType floatType)
    {
        // Over 2^20 elements, so the writer's chunked conversion crosses a chunk boundary; the awkward values
        // sit at the start and straddle the boundary.
        const int n = (1 << 20) + 37;
        var values = new float[n];
        for (int i = 0; i < n; i++)
            values[i] = (i % 1999 - 999) * 0.37f + i * 1e-3f;
        Awkward.CopyTo(values, 0);
        Awkward.CopyTo(values, (1 << 20) - 5);
        string path = PathOf("half");
        using (var t = tensor(values))
            SafeTensorsFile.Write(path, [new("x", t)], floatType: floatType);
        var f = SafeTensorsFile.Open(path);
        Assert.Equal(floatType, f.Entries["x"].DType);
        var raw = f.ReadRaw("x");
        Assert.Equal(2 * n, raw.Length);
        for (int i = 0; i < n; i++)
        {
            ushort expect =
                floatType == SafeTensorDType.BF16
                    ? SafeTensorsFile.FloatToBf16(values[i])
                    : BitConverter.HalfToUInt16Bits((Half)values[i]);
            ushort got = BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(2 * i));
            if (got != expect)
                Assert.Fail($"element {i} ({values[i]}): stored 0x{got:X4}, expected 0x{expect:X4}");
        }
        // Read as stored keeps the half type with these bits; Read widens exactly, as FromRaw does.
        using var stored = f.ReadStored("x");
        Assert.Equal(floatType.ToScalarType(), stored.dtype);
        Assert.Equal(raw, stored.bytes.ToArray());
        using var wide = f.Read("x");
        using var fromRaw = SafeTensorsFile.FromRaw(raw, floatType, [n]);
        Assert.Equal(ScalarType.Float32, wide.dtype);
        var w = wide.data<float>().ToArray();
        for (int i = 0; i < n; i++)
        {
            ushort bits = BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(2 * i));
            // BF16 is the top half of a float32; F16 widens to the same value (NaN stays NaN).
            bool same =
                floatType == SafeTensorDType.BF16
                    ? BitConverter.SingleToUInt32Bits(w[i]) == (uint)bits << 16
                    : w[i].Equals((float)BitConverter.UInt16BitsToHalf(bits));
            if (!same)
                Assert.Fail($"element {i}: stored 0x{bits:X4} read back as {w[i]}");
        }
        Assert.Equal(wide.bytes.ToArray(), fromRaw.bytes.ToArray());
    }

    [Fact]
    public void HalfTensorsStoredAsTheirOwnTypeKeepTheirBits()
    {
        string path = PathOf("native");
        using var scope = NewDisposeScope();
        var b = tensor(Awkward.Take(14).ToArray()).to(ScalarType.BFloat16); // finite and infinite values
        var h = tensor(Awkward.Take(14).ToArray()).to(ScalarType.Float16);
        SafeTensorsFile.Write(path, [new("b", b)], floatType: SafeTensorDType.BF16);
        Assert.Equal(b.bytes.ToArray(), SafeTensorsFile.Open(path).ReadRaw("b"));
        SafeTensorsFile.Write(path, [new("h", h)], floatType: SafeTensorDType.F16);
        Assert.Equal(h.bytes.ToArray(), SafeTensorsFile.Open(path).ReadRaw("h"));
        // A bfloat16 tensor stored as F32 widens exactly.
        SafeTensorsFile.Write(path, [new("b", b)]);
        Assert.Equal(b.to(ScalarType.Float32).bytes.ToArray(), SafeTensorsFile.Open(path).ReadRaw("b"));
    }

    [Fact]
    public void ScalarEmptyAndNonContiguousTensors()
    {
        string path = PathOf("shapes");
        using var scope = NewDisposeScope();
        var m = arange(12, dtype: ScalarType.Float32).reshape(3, 4);
        var tensors = new Dictionary<string, Tensor>
        {
            ["scalar"] = tensor(2.5f),
            ["empty"] = zeros(0, 3),
            ["transposed"] = m.t(), // not contiguous: written as its logical (row-major) values
            ["column"] = m.select(1, 2), // a strided view into m
        };
        SafeTensorsFile.Write(path, tensors, floatType: SafeTensorDType.BF16);
        var f = SafeTensorsFile.Open(path);
        Assert.Empty(f.Read("scalar").shape);
        Assert.Equal(2.5f, f.Read("scalar").item<float>());
        Assert.Equal(new long[] { 0, 3 }, f.Read("empty").shape);
        Assert.Equal(f.Entries["empty"].Begin, f.Entries["empty"].End);
        Assert.Equal(new long[] { 4, 3 }, f.Read("transposed").shape);
        Assert.Equal(Floats(m.t()), Floats(f.Read("transposed")));
        Assert.Equal(new[] { 2f, 6f, 10f }, Floats(f.Read("column")));
        Assert.Equal(new long[] { 0, 3 }, SafeTensorsFile.FromRaw([], SafeTensorDType.F32, [0, 3]).shape);

        // A file holding nothing but an empty tensor has no data bytes at all: nothing to map.
        SafeTensorsFile.Write(path, [new("e", zeros(0))]);
        Assert.Equal(0, SafeTensorsFile.ReadAll(path)["e"].numel());
    }

    [Fact]
    public void MetadataAndNamesAreKept()
    {
        string path = PathOf("meta");
        using var scope = NewDisposeScope();
        var meta = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "line one\nline \"two\" ünï" };
        SafeTensorsFile.Write(path, [new("model.layers.0.w", ones(2)), new("a", zeros(1))], meta);
        var f = SafeTensorsFile.Open(path);
        Assert.Equal(meta.OrderBy(kv => kv.Key), f.Metadata.OrderBy(kv => kv.Key));
        Assert.Equal(new[] { "a", "model.layers.0.w" }, f.Entries.Keys); // name order
        Assert.Throws<InputArgumentException>(() =>
            SafeTensorsFile.Write(PathOf("dup"), [new("a", ones(1)), new("a", ones(1))])
        );
        Assert.Throws<InputArgumentException>(() =>
            SafeTensorsFile.Write(PathOf("dup"), [new("__metadata__", ones(1))])
        );
        Assert.False(File.Exists(PathOf("dup")));
    }
}
