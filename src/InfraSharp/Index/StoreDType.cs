using System.Text.Json.Serialization;

namespace InfraSharp.Index;

/// <summary>
/// How an index stores its vectors: <c>float16</c> (half the bytes; each row scaled by its largest magnitude) or
/// <c>float32</c>. A shard's header writes the same word (<see cref="ShardHeader.DType"/>).
/// </summary>
public enum StoreDType
{
    /// <summary>Half precision: each row scaled by its largest magnitude, 2 bytes an element.</summary>
    [JsonStringEnumMemberName("float16")]
    Float16,

    /// <summary>Single precision, 4 bytes an element.</summary>
    [JsonStringEnumMemberName("float32")]
    Float32,
}
