namespace InfraSharp.Runtime;

/// <summary>
/// The dynamic symbol table of an ELF64 little-endian shared library, read from its section headers without loading
/// it (loading a libtorch of the wrong version can abort in its static initialisers, so it is checked first).
/// </summary>
internal sealed class ElfSymbols
{
    private const uint ShtDynsym = 11,
        ShtGnuVersym = 0x6fffffff;
    private const int BindGlobal = 1,
        BindWeak = 2,
        BindGnuUnique = 10;

    /// <summary>Defined global, weak or unique symbols: what the library offers to others.</summary>
    public HashSet<string> Exports { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Undefined, non-weak, unversioned symbols: what the library needs from unversioned libraries (libtorch and c10
    /// have no symbol versions; glibc, libstdc++ and libgcc version all of theirs, so they are not counted).
    /// </summary>
    public List<string> UnversionedImports { get; } = [];

    private ElfSymbols() { }

    /// <summary>Reads <paramref name="path"/>; <see cref="InvalidDataException"/> for anything but ELF64.</summary>
    public static ElfSymbols Read(string path)
    {
        using var file = File.OpenHandle(path);
        var header = Bytes(file, 0, 64);
        if (header.Length < 64 || header[0] != 0x7f || header[1] != 'E' || header[2] != 'L' || header[3] != 'F')
            throw new InvalidDataException($"{path}: not an ELF shared library");
        if (header[4] != 2 || header[5] != 1)
            throw new InvalidDataException($"{path}: not a 64-bit little-endian ELF library");
        long sectionsAt = BitConverter.ToInt64(header, 0x28);
        int entrySize = BitConverter.ToUInt16(header, 0x3A),
            count = BitConverter.ToUInt16(header, 0x3C);
        var sections = Bytes(file, sectionsAt, entrySize * count);
        (long Offset, long Size, int Link)? dynsym = null,
            versym = null;
        (long, long, int) Section(int i)
        {
            int at = i * entrySize;
            return (
                BitConverter.ToInt64(sections, at + 0x18),
                BitConverter.ToInt64(sections, at + 0x20),
                (int)BitConverter.ToUInt32(sections, at + 0x28)
            );
        }
        for (int i = 0; i < count; i++)
        {
            uint type = BitConverter.ToUInt32(sections, i * entrySize + 4);
            if (type == ShtDynsym)
                dynsym = Section(i);
            else if (type == ShtGnuVersym)
                versym = Section(i);
        }
        var result = new ElfSymbols();
        if (dynsym is not { } d)
            return result;
        var (strOffset, strSize, _) = Section(d.Link);
        var symbols = Bytes(file, d.Offset, d.Size);
        var strings = Bytes(file, strOffset, strSize);
        var versions = versym is { } v ? Bytes(file, v.Offset, v.Size) : null;
        for (int i = 1; i < symbols.Length / 24; i++)
        {
            int at = i * 24;
            int nameAt = (int)BitConverter.ToUInt32(symbols, at);
            int bind = symbols[at + 4] >> 4;
            int sectionIndex = BitConverter.ToUInt16(symbols, at + 6);
            if (nameAt == 0)
                continue;
            int end = Array.IndexOf(strings, (byte)0, nameAt);
            string name = System.Text.Encoding.ASCII.GetString(strings, nameAt, end - nameAt);
            if (sectionIndex != 0)
            {
                if (bind is BindGlobal or BindWeak or BindGnuUnique)
                    result.Exports.Add(name);
            }
            else if (bind == BindGlobal)
            {
                int version = versions is null ? 1 : BitConverter.ToUInt16(versions, i * 2) & 0x7fff;
                if (version <= 1)
                    result.UnversionedImports.Add(name);
            }
        }
        return result;
    }

    private static byte[] Bytes(Microsoft.Win32.SafeHandles.SafeFileHandle file, long offset, long length)
    {
        var buffer = new byte[length];
        int read = 0;
        while (read < length)
        {
            int n = RandomAccess.Read(file, buffer.AsSpan(read), offset + read);
            if (n == 0)
                break;
            read += n;
        }
        return read == length ? buffer : buffer[..read];
    }
}
