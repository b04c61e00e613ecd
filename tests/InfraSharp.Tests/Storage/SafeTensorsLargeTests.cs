using System.Buffers.Binary;
using System.Diagnostics;
using InfraSharp.Storage;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace InfraSharp.Tests.Storage;

/// <summary>Tests that each need gigabytes: run alone, after the others, so that memory peaks don't add up.</summary>
[CollectionDefinition("large", DisableParallelization = true)]
public class LargeCollection;

[Collection("large")]
[Trait("Category", "System")]
public class SafeTensorsLargeTests(ITestOutputHelper output)
{
    // 600,000,007 float32 = 2,400,000,028 bytes: more than int.MaxValue, so no .NET array or span holds the
    // tensor, and not a whole number of the 1 GiB pieces, so the last piece is a short one.
    private const long Count = 600_000_007;

    // The pattern, a chunk of 2^23 elements at a time: chunk c holds base(c) + 0, base(c) + 1, ... with
    // base(c) = c * 2^23 mod a prime. Every value is an integer below 2^24, so exact in float32 and made by one
    // arange; the bases of the 72 chunks all differ, so a 1 GiB piece (32 chunks) read or written at the wrong
    // place, or a piece shifted by any number of elements, shows as a mismatch.
    private const long Chunk = 1 << 23;
    private const long Prime = 8_388_593;

    private static long Base(long start) => start / Chunk * Chunk % Prime;

    private static Tensor Pattern(long start, long count) =>
        arange(Base(start), Base(start) + count, dtype: ScalarType.Float32);

    [Fact]
    public void TensorOver2GiBRoundTripsExactly()
    {
        long chunks = (Count + Chunk - 1) / Chunk;
        Assert.Equal(chunks, Enumerable.Range(0, (int)chunks).Select(c => Base(c * Chunk)).Distinct().Count());
        Assert.True(Prime + Chunk <= 1 << 24); // base < Prime: every value is exact in float32
        string dir = Fixtures.TempDir();
        string path = Path.Combine(dir, "big.safetensors");
        try
        {
            var sw = Stopwatch.StartNew();
            using (var big = empty(Count, ScalarType.Float32))
            using (var first = tensor(new long[] { 7, -8, 9 }))
            using (var last = tensor(new[] { 1.5f, -2.25f }))
            {
                for (long s = 0; s < Count; s += Chunk)
                {
                    using var scope = NewDisposeScope();
                    long k = Math.Min(Chunk, Count - s);
                    big.narrow(0, s, k).copy_(Pattern(s, k));
                }
                var filled = sw.Elapsed;
                sw.Restart();
                // "a" before the big tensor, so its data starts past offset 0; "c" after it, past offset 2^31.
                SafeTensorsFile.Write(path, [new("a", first), new("big", big), new("c", last)]);
                output.WriteLine($"fill {filled.TotalSeconds:F1} s, write {sw.Elapsed.TotalSeconds:F1} s");
            }
            sw.Restart();

            var f = SafeTensorsFile.Open(path);
            var e = f.Entries["big"];
            Assert.Equal(SafeTensorDType.F32, e.DType);
            Assert.Equal(new[] { Count }, e.Shape);
            Assert.Equal(24, e.Begin);
            Assert.Equal(24 + Count * 4, e.End);
            Assert.Equal(e.End, f.Entries["c"].Begin);
            Span<byte> len = stackalloc byte[8];
            using (var fs = File.OpenRead(path))
                fs.ReadExactly(len);
            long headerLen = BinaryPrimitives.ReadInt64LittleEndian(len);
            Assert.Equal(8 + headerLen + 24 + Count * 4 + 8, new FileInfo(path).Length);

            using (var a = f.Read("a"))
                Assert.Equal(new[] { 7L, -8L, 9L }, a.data<long>().ToArray());
            using (var c = f.Read("c"))
                Assert.Equal(new[] { 1.5f, -2.25f }, c.data<float>().ToArray());
            using (var back = f.Read("big"))
            {
                var read = sw.Elapsed;
                Assert.Equal(ScalarType.Float32, back.dtype);
                Assert.Equal(new[] { Count }, back.shape);
                for (long s = 0; s < Count; s += Chunk)
                {
                    using var scope = NewDisposeScope();
                    long k = Math.Min(Chunk, Count - s);
                    Assert.True(
                        back.narrow(0, s, k).eq(Pattern(s, k)).all().item<bool>(),
                        $"elements [{s}, {s + k}) differ from what was written"
                    );
                }
                output.WriteLine($"read {read.TotalSeconds:F1} s, compare {(sw.Elapsed - read).TotalSeconds:F1} s");
                if (File.Exists("/proc/self/status")) // the peak resident memory of this test process so far
                    output.WriteLine(File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM")));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
        Assert.False(File.Exists(path));
    }
}
