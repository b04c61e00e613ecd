using System.Security.Cryptography;
using System.Text;

namespace InfraSharp.Text;

/// <summary>
/// The fingerprint of a dataset as the model sees it: SHA-256 over the encoded examples (row ids, input ids and
/// labels, in order), so that a reformatted file with the same examples matches and an edited row does not.
/// </summary>
internal static class ExampleFingerprint
{
    public static string Of(IEnumerable<EncodedExample> examples)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var e in examples)
        {
            h.AppendData(Encoding.UTF8.GetBytes(e.Id + "\0"));
            h.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(e.InputIds.AsSpan()));
            h.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(e.Labels.AsSpan()));
        }
        return Convert.ToHexStringLower(h.GetHashAndReset());
    }
}
