using static TorchSharp.torch;

namespace InfraSharp.Storage;

/// <summary>The element types of the safetensors format that InfraSharp reads and writes.</summary>
public enum SafeTensorDType
{
    /// <summary>32-bit IEEE float.</summary>
    F32,

    /// <summary>bfloat16 (8-bit exponent, 7-bit mantissa).</summary>
    BF16,

    /// <summary>IEEE half precision.</summary>
    F16,

    /// <summary>64-bit IEEE float.</summary>
    F64,

    /// <summary>64-bit signed integer.</summary>
    I64,

    /// <summary>32-bit signed integer.</summary>
    I32,
}

internal static class SafeTensorDTypes
{
    public static int ByteSize(this SafeTensorDType t) =>
        t switch
        {
            SafeTensorDType.F32 or SafeTensorDType.I32 => 4,
            SafeTensorDType.BF16 or SafeTensorDType.F16 => 2,
            SafeTensorDType.F64 or SafeTensorDType.I64 => 8,
            _ => throw new ArgumentOutOfRangeException(nameof(t)),
        };

    /// <summary>The torch element type with the same bytes: stored data copies into it unchanged.</summary>
    public static ScalarType ToScalarType(this SafeTensorDType t) =>
        t switch
        {
            SafeTensorDType.F32 => ScalarType.Float32,
            SafeTensorDType.BF16 => ScalarType.BFloat16,
            SafeTensorDType.F16 => ScalarType.Float16,
            SafeTensorDType.F64 => ScalarType.Float64,
            SafeTensorDType.I64 => ScalarType.Int64,
            SafeTensorDType.I32 => ScalarType.Int32,
            _ => throw new ArgumentOutOfRangeException(nameof(t)),
        };

    public static SafeTensorDType Parse(string name, string file, string tensor) =>
        name switch
        {
            "F32" => SafeTensorDType.F32,
            "BF16" => SafeTensorDType.BF16,
            "F16" => SafeTensorDType.F16,
            "F64" => SafeTensorDType.F64,
            "I64" => SafeTensorDType.I64,
            "I32" => SafeTensorDType.I32,
            _ => throw InputError.Data(
                $"{file}: tensor '{tensor}' has dtype {name}, which InfraSharp does not read "
                    + "(F32, BF16, F16, F64, I64, I32)"
            ),
        };
}
