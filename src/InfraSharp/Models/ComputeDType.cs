using System.Text.Json.Serialization;
using static TorchSharp.torch;

namespace InfraSharp.Models;

/// <summary>
/// A floating-point type a run computes in: the model's forward and backward (<c>--dtype</c>), or the captured
/// activations and gradients that statistics are formed from (<c>--statistics-dtype</c>). Sums across batches
/// are float64 and scores float32 whatever these are.
/// </summary>
public enum ComputeDType
{
    /// <summary>32-bit IEEE float (the default).</summary>
    [JsonStringEnumMemberName("float32")]
    Float32,

    /// <summary>bfloat16: half the memory, 8 bits of mantissa.</summary>
    [JsonStringEnumMemberName("bfloat16")]
    BFloat16,
}

/// <summary>Conversions of <see cref="ComputeDType"/>.</summary>
public static class ComputeDTypes
{
    /// <summary>The TorchSharp scalar type of <paramref name="d"/>.</summary>
    public static ScalarType ToScalarType(this ComputeDType d) =>
        d == ComputeDType.BFloat16 ? ScalarType.BFloat16 : ScalarType.Float32;

    /// <summary>Bytes of one element.</summary>
    public static int Size(this ComputeDType d) => d == ComputeDType.BFloat16 ? 2 : 4;
}
