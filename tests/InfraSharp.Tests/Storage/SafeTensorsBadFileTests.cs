using System.Buffers.Binary;
using System.Text;
using InfraSharp.Storage;
using static TorchSharp.torch;

namespace InfraSharp.Tests.Storage;

/// <summary>A damaged file is one line that names it (an <see cref="InvalidDataException"/>), never a crash.</summary>
public sealed class SafeTensorsBadFileTests : IDisposable
{
    private readonly string _dir = Fixtures.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A well-formed file: w is float32 [2,3] (24 bytes), z is int64 [4] (32 bytes).</summary>
    private string Valid()
    {
        string path = Path.Combine(_dir, "valid.safetensors");
        using var w = arange(6, dtype: ScalarType.Float32).reshape(2, 3);
        using var z = arange(4, dtype: ScalarType.Int64);
        SafeTensorsFile.Write(path, [new("w", w), new("z", z)]);
        Assert.Equal(2, SafeTensorsFile.Open(path).Entries.Count);
        return path;
    }

    private string Put(byte[] bytes)
    {
        string path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] Build(string json, int dataBytes = 8)
    {
        var h = Encoding.UTF8.GetBytes(json);
        var b = new byte[8 + h.Length + dataBytes];
        BinaryPrimitives.WriteInt64LittleEndian(b, h.Length);
        h.CopyTo(b, 8);
        return b;
    }

    private static string OneLineNamingTheFile(string path, Action act)
    {
        var e = Assert.Throws<InvalidDataException>(act);
        Assert.StartsWith(path + ": ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.DoesNotContain('\r', e.Message);
        return e.Message;
    }

    [Theory]
    [InlineData("empty")]
    [InlineData("inside the length")]
    [InlineData("length only")]
    [InlineData("inside the header")]
    [InlineData("inside the first tensor")]
    [InlineData("one byte short")]
    public void TruncatedFileIsOneLineNamingIt(string where)
    {
        var bytes = File.ReadAllBytes(Valid());
        int headerLen = (int)BinaryPrimitives.ReadInt64LittleEndian(bytes);
        int cut = where switch
        {
            "empty" => 0,
            "inside the length" => 5,
            "length only" => 8,
            "inside the header" => 8 + headerLen / 2,
            "inside the first tensor" => 8 + headerLen + 10,
            _ => bytes.Length - 1,
        };
        string path = Put(bytes[..cut]);
        Assert.Contains("truncated", OneLineNamingTheFile(path, () => SafeTensorsFile.Open(path)));
    }

    [Fact]
    public void FileTruncatedAfterOpenIsRefusedNotMapped()
    {
        // Mapped bytes past the end of a file would kill the process (SIGBUS); the reader must check first.
        string path = Put(File.ReadAllBytes(Valid()));
        var f = SafeTensorsFile.Open(path);
        using (var fs = new FileStream(path, FileMode.Open))
            fs.SetLength(fs.Length - 4);
        Assert.Contains("truncated", OneLineNamingTheFile(path, () => f.Read("z")));
        OneLineNamingTheFile(path, () => f.ReadStored("z"));
        OneLineNamingTheFile(path, () => f.ReadRaw("z"));
        using var w = f.Read("w"); // what is still there reads
        Assert.Equal(new[] { 0f, 1, 2, 3, 4, 5 }, w.data<float>().ToArray());
    }

    [Theory]
    [InlineData("not json {", "not valid JSON")]
    [InlineData("[1, 2]", "not a JSON object")]
    [InlineData("null", "not a JSON object")]
    [InlineData("""{"w": 7}""", "'w'")]
    [InlineData("""{"w": {"dtype": "F8_E4M3", "shape": [2], "data_offsets": [0, 2]}}""", "F8_E4M3")]
    [InlineData("""{"w": {"dtype": "f32", "shape": [2], "data_offsets": [0, 8]}}""", "dtype f32")]
    [InlineData("""{"w": {"shape": [2], "data_offsets": [0, 8]}}""", "\"dtype\"")]
    [InlineData("""{"w": {"dtype": 4, "shape": [2], "data_offsets": [0, 8]}}""", "\"dtype\"")]
    [InlineData("""{"w": {"dtype": "F32", "data_offsets": [0, 8]}}""", "\"shape\"")]
    [InlineData("""{"w": {"dtype": "F32", "shape": ["2"], "data_offsets": [0, 8]}}""", "\"shape\"")]
    [InlineData("""{"w": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}""", "negative")]
    [InlineData("""{"w": {"dtype": "F32", "shape": [2]}}""", "\"data_offsets\"")]
    [InlineData("""{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0]}}""", "\"data_offsets\"")]
    [InlineData("""{"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}""", "do not match")]
    [InlineData("""{"w": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}""", "truncated")]
    [InlineData("""{"w": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 8]}}""", "too large")]
    [InlineData("""{"__metadata__": {"a": 1}}""", "__metadata__")]
    [InlineData("""{"__metadata__": [1]}""", "__metadata__")]
    public void CorruptHeaderIsOneLineNamingIt(string json, string expected)
    {
        string path = Put(Build(json));
        string message = OneLineNamingTheFile(path, () => SafeTensorsFile.Open(path));
        Assert.Contains(expected, message);
        if (json.Contains("\"w\""))
            Assert.Contains("'w'", message);
    }

    [Theory]
    [InlineData(-1L)]
    [InlineData(0L)]
    [InlineData(1L << 40)]
    public void BadHeaderLengthIsOneLineNamingIt(long length)
    {
        var bytes = Build("{}");
        BinaryPrimitives.WriteInt64LittleEndian(bytes, length);
        string path = Put(bytes);
        Assert.Contains("header length", OneLineNamingTheFile(path, () => SafeTensorsFile.Open(path)));
    }

    [Fact]
    public void MissingFileAndMissingTensorAreNamed()
    {
        string missing = Path.Combine(_dir, "nope.safetensors");
        Assert.Contains(
            missing,
            Assert.Throws<InputFileNotFoundException>(() => SafeTensorsFile.Open(missing)).Message
        );
        var f = SafeTensorsFile.Open(Valid());
        var e = Assert.Throws<InputKeyNotFoundException>(() => f.Read("nope"));
        Assert.Contains(f.Path, e.Message);
        Assert.Contains("'nope'", e.Message);
    }
}
