using InfraSharp.Index;
using static TorchSharp.torch;

namespace InfraSharp.Tests.Index;

/// <summary>
/// The shard format's checksums against the bytes as written: every byte of a shard that a reader uses is covered
/// (a flip anywhere is refused by opening it, by reading its rows, or, in the alignment gaps, by the padding check),
/// a flip names its block, non-finite rows are refused when written, and old-format shards are refused by version.
/// </summary>
public class ShardIntegrityTests
{
    private static ShardHeader Header(long rows, int dim, string dtype) =>
        new()
        {
            Rows = rows,
            Dim = dim,
            DType = dtype,
            ProjectionSeed = 0,
            Projection = $"{dim}",
            Model = "synthetic",
        };

    private static (string Path, Tensor Vectors) Written(long rows, int dim, string dtype)
    {
        string path = System.IO.Path.Combine(Fixtures.TempDir(), "s.shard");
        var v = randn([rows, dim], generator: new Generator(7));
        ShardFile.Write(path, v, Header(rows, dim, dtype));
        return (path, v);
    }

    /// <summary>Opens the shard and reads every row (as a scan does); the exception, if any.</summary>
    private static Exception? ReadAll(string path)
    {
        try
        {
            using var s = ShardFile.Open(path);
            using var v = s.Vectors(0, s.Header.Rows);
            return s.PaddingIsZero() ? null : new InvalidDataException("padding");
        }
        catch (InvalidDataException e)
        {
            return e;
        }
    }

    [Theory]
    [InlineData("float16")]
    [InlineData("float32")]
    public void EveryFlippedByteIsRefused(string dtype)
    {
        var (path, v) = Written(2500, 6, dtype); // 3 checksum blocks of 1,024 rows, the last one short
        var original = File.ReadAllBytes(path);
        using (var s = ShardFile.Open(path))
        {
            Assert.Equal(3, s.BlockCount);
            var back = s.Vectors(0, s.Header.Rows);
            double tolerance = dtype == "float16" ? 1e-3 : 0;
            Assert.True((back - v).abs().max().item<float>() <= tolerance * v.abs().max().item<float>());
        }
        Assert.Null(ReadAll(path));
        int tried = 0;
        for (int at = 0; at < original.Length; at += 37)
        {
            var bytes = (byte[])original.Clone();
            bytes[at] ^= 0x01;
            File.WriteAllBytes(path, bytes);
            Assert.True(ReadAll(path) is not null, $"a flipped bit at byte {at} of {original.Length} went unnoticed");
            tried++;
        }
        Assert.True(tried > 1000);
    }

    [Fact]
    public void AFlipNamesItsBlockAndRows()
    {
        var (path, _) = Written(2500, 6, "float16");
        var layout = ShardBytes.Read(File.ReadAllBytes(path));
        foreach (
            var (row, block, rows) in new[]
            {
                (3L, 0, "rows 0-1023"),
                (1500L, 1, "rows 1024-2047"),
                (2499L, 2, "rows 2048-2499"),
            }
        )
        {
            var bytes = File.ReadAllBytes(path);
            bytes[layout.Data + row * 6 * 2 + 1] ^= 0x40;
            string copy = path + $".{block}";
            File.WriteAllBytes(copy, bytes);
            using var s = ShardFile.Open(copy); // the header and table are intact
            var e = Assert.Throws<InvalidDataException>(() => s.Vectors(0, s.Header.Rows));
            Assert.Contains($"{copy}: block {block} ({rows}) fails its checksum", e.Message);
            // The blocks before it read fine: a query fails only when it reaches the corrupt block.
            if (block > 0)
                s.Vectors(0, block * 1024L).Dispose();
        }
    }

    [Fact]
    public void HeaderTableAndVersionAreChecked()
    {
        var (path, _) = Written(100, 4, "float32");
        var original = File.ReadAllBytes(path);
        var layout = ShardBytes.Read(original);

        var bytes = (byte[])original.Clone();
        bytes[2000] = 1; // the header's zero padding
        File.WriteAllBytes(path, bytes);
        Assert.Contains(
            "header fails its checksum",
            Assert.Throws<InvalidDataException>(() => ShardFile.Open(path)).Message
        );

        bytes = (byte[])original.Clone();
        bytes[layout.Table + 3] ^= 0xFF;
        File.WriteAllBytes(path, bytes);
        Assert.Contains(
            "table of block checksums",
            Assert.Throws<InvalidDataException>(() => ShardFile.Open(path)).Message
        );

        File.WriteAllBytes(path, original);
        ShardBytes.SetVersion(path, 1);
        var e = Assert.Throws<InvalidDataException>(() => ShardFile.Open(path));
        Assert.Contains("shard format version 1", e.Message);
        Assert.Contains("rebuild the index", e.Message);
    }

    [Fact]
    public void NonFiniteRowsAreRefusedWhenWrittenNamingTheRow()
    {
        string path = System.IO.Path.Combine(Fixtures.TempDir(), "s.shard");
        var v = randn([3000, 5], generator: new Generator(1));
        v[1234, 3] = tensor(float.PositiveInfinity);
        var e = Assert.Throws<InvalidDataException>(() => ShardFile.Write(path, v, Header(3000, 5, "float16")));
        Assert.Equal($"{path}: row 1234 holds NaN or Inf; the model or data gives non-finite gradients", e.Message);
        Assert.False(File.Exists(path));
        Assert.Equal(1234L, ShardFile.FirstNonFiniteRow(v));
        v[1234, 3] = tensor(0f);
        Assert.Null(ShardFile.FirstNonFiniteRow(v));
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void StoredRowsAreTestedOnTheirBitsAsWidened(float value)
    {
        var v = randn([300, 7], generator: new Generator(3)) * 1000;
        var scales = ones(300);
        foreach (var dtype in new[] { ScalarType.Float16, ScalarType.Float32 })
        {
            var stored = v.to(dtype);
            Assert.Null(ShardFile.FirstNonFiniteStoredRow(stored, scales));
            stored[211, 6] = tensor(value, dtype);
            stored[250, 0] = tensor(value, dtype);
            // The reference: the rows widened to float32 and tested with isfinite.
            Assert.Equal(
                ShardFile.FirstNonFiniteRow(stored.to(ScalarType.Float32)),
                ShardFile.FirstNonFiniteStoredRow(stored, scales)
            );
            Assert.Equal(211L, ShardFile.FirstNonFiniteStoredRow(stored, scales));
            var badScale = scales.clone();
            badScale[17] = tensor(value);
            Assert.Equal(17L, ShardFile.FirstNonFiniteStoredRow(v.to(dtype), badScale));
        }
    }

    [Fact]
    public void ReadsAreWholeBlocks()
    {
        var (path, v) = Written(2500, 3, "float32");
        using var s = ShardFile.Open(path);
        Assert.Equal(1024, s.WholeBlocks(1));
        Assert.Equal(8192, s.WholeBlocks(8192));
        Assert.Equal(2048, s.WholeBlocks(1500));
        Assert.Throws<ArgumentException>(() => s.Block(5, 1024));
        Assert.Throws<ArgumentException>(() => s.Block(0, 1000));
        var (rows, scales) = s.Block(2048, 452); // the short last block ends at the shard's end
        Assert.True(rows.equal(v.narrow(0, 2048, 452)).all().item<bool>());
        Assert.True(scales.eq(1f).all().item<bool>());
    }
}
