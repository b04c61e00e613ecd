using System.Runtime.InteropServices;

namespace InfraSharp;

/// <summary>
/// glibc's allocator settings for tensor-sized blocks. By default glibc raises its mmap threshold each time a
/// large block is freed (up to 32 MiB), after which tensors of up to that size come from per-thread heaps that
/// are rarely returned to the system: resident memory then depends on the order of frees and varied by several
/// GiB between identical benchmark runs. A fixed 1 MiB threshold sends every tensor-sized block to mmap (given
/// back on free), and two arenas bound the per-thread heaps.
/// </summary>
public static class NativeAllocator
{
    private const int MmapThreshold = -3,
        ArenaMax = -8;

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int Mallopt(int param, int value);

    private static bool _configured;

    /// <summary>
    /// Applies the settings once per process (Linux with glibc only; a no-op elsewhere). Call before any tensor work.
    /// </summary>
    public static void Configure()
    {
        if (_configured || !OperatingSystem.IsLinux())
            return;
        _configured = true;
        try
        {
            Mallopt(MmapThreshold, 1 << 20);
            Mallopt(ArenaMax, 2);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc (e.g. musl): its allocator has no such knobs; nothing to do.
        }
    }
}
