namespace InfraSharp.Text;

/// <summary>Token ids of a text with each token's character span [Start, End) in that text.</summary>
public sealed record TokenEncoding(int[] Ids, (int Start, int End)[] Offsets);
