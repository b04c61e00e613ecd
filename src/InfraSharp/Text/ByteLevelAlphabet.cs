namespace InfraSharp.Text;

/// <summary>
/// GPT-2's reversible map between bytes and printable characters: printable Latin-1 bytes map to
/// themselves, the other 68 to U+0100 onwards, so that every byte string is a string of visible characters.
/// </summary>
internal static class ByteLevelAlphabet
{
    public static readonly char[] ByteToChar;
    public static readonly Dictionary<char, byte> CharToByte;

    static ByteLevelAlphabet()
    {
        ByteToChar = new char[256];
        CharToByte = new Dictionary<char, byte>(256);
        int next = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char)b : (char)(256 + next++);
            ByteToChar[b] = c;
            CharToByte[c] = (byte)b;
        }
    }
}
