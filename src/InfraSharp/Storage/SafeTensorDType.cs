namespace InfraSharp.Storage;

/// <summary>The element types of the safetensors format that InfraSharp reads and writes.</summary>
public enum SafeTensorDType { F32, BF16, F16, F64, I64, I32 }

public static class SafeTensorDTypes
{
    public static int ByteSize(this SafeTensorDType t) => t switch
    {
        SafeTensorDType.F32 or SafeTensorDType.I32 => 4,
        SafeTensorDType.BF16 or SafeTensorDType.F16 => 2,
        SafeTensorDType.F64 or SafeTensorDType.I64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    public static SafeTensorDType Parse(string name, string file, string tensor) => name switch
    {
        "F32" => SafeTensorDType.F32,
        "BF16" => SafeTensorDType.BF16,
        "F16" => SafeTensorDType.F16,
        "F64" => SafeTensorDType.F64,
        "I64" => SafeTensorDType.I64,
        "I32" => SafeTensorDType.I32,
        _ => throw InputError.Data($"{file}: tensor '{tensor}' has dtype {name}, which InfraSharp does not read (F32, BF16, F16, F64, I64, I32)"),
    };
}
