using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using TorchSharp;

namespace InfraSharp.Runtime;

/// <summary>
/// The libtorch this process computes with: the one the application carries (TorchSharp's <c>libtorch-cpu</c> or
/// <c>libtorch-cuda-12.8</c> package), or an existing PyTorch installation's <c>torch/lib</c> folder named by
/// <see cref="FolderVariable"/> ("bring your own": a GPU box's PyTorch, with no 2 GB CUDA package to restore).
/// </summary>
public static partial class LibTorch
{
    /// <summary>The environment variable that names an existing PyTorch's <c>lib</c> folder.</summary>
    public const string FolderVariable = "INFRASHARP_LIBTORCH";

    /// <summary>The libtorch version TorchSharp 0.107 was built against (its natives' package version).</summary>
    public const string BuiltFor = "2.10.0";

    private static readonly Lock Gate = new();
    private static bool _loaded;
    private static Folder? _own;

    /// <summary>An existing PyTorch's libraries that this process runs on.</summary>
    private sealed record Folder(string Path, string? Version, string? Cuda);

    /// <summary>
    /// Makes <see cref="FolderVariable"/> take effect: when it is set, checks that the folder's libtorch offers every
    /// function TorchSharp's native shim calls, loads it, and points TorchSharp at it instead of any bundled copy.
    /// Call it once before the first tensor (the CLI does so first thing); it does nothing when the variable is unset
    /// or on a second call. A folder that is missing, incomplete or of a mismatched version is bad input
    /// (<see cref="IInputError"/>) named by the variable, in one line.
    /// </summary>
    public static void Load() => Load(Environment.GetEnvironmentVariable(FolderVariable));

    internal static void Load(string? folder)
    {
        lock (Gate)
        {
            if (_loaded)
                return;
            if (!string.IsNullOrEmpty(folder))
                _own = LoadFolder(Path.GetFullPath(folder));
            else if (BundledLibrary() is null && !OnLibraryPath())
                throw InputError.Invalid(
                    $"no libtorch: this build carries none (TorchBackend=none) and {FolderVariable} is not set; set it "
                        + "to a PyTorch installation's torch/lib folder"
                );
            _loaded = true;
        }
    }

    private static readonly string[] Required = ["libc10.so", "libtorch_cpu.so", "libtorch.so"];

    // The order a dynamic loader would take them in (each after what it needs); the CUDA pair only where present.
    private static readonly string[] LoadOrder =
    [
        "libc10.so",
        "libtorch_cpu.so",
        "libc10_cuda.so",
        "libtorch_cuda.so",
        "libtorch.so",
    ];

    private static Folder LoadFolder(string folder)
    {
        string Where(string what) => $"{FolderVariable}={folder}: {what}";
        if (!Directory.Exists(folder))
            throw InputError.Invalid(Where("no such folder; point it at a PyTorch installation's torch/lib folder"));
        foreach (var name in Required)
            if (!File.Exists(Path.Combine(folder, name)))
                throw InputError.Invalid(
                    Where($"no {name} there; point it at a PyTorch installation's torch/lib folder (see the README)")
                );
        var (version, cuda) = ReadVersion(folder);
        if (ShimLoaded())
            throw new InvalidOperationException(
                $"{FolderVariable} must take effect before TorchSharp loads: call LibTorch.Load() before any tensor"
            );
        string shim = FindShim();
        var missing = MissingFunctions(folder, shim, out int needed);
        if (missing.Count > 0)
            throw InputError.Invalid(
                Where(
                    $"libtorch {version ?? "of unknown version"} does not match TorchSharp {TorchSharpVersion} (built "
                        + $"for libtorch {BuiltFor}): {missing.Count} of the {needed} functions it calls are missing, "
                        + $"e.g. {missing[0]}; use a PyTorch {BuiltFor[..BuiltFor.LastIndexOf('.')]} or newer"
                )
            );
        // TorchSharp probes for torch_cpu and torch_cuda by name, in the app's own folders first, when its types
        // initialise; a bundled copy found there beside the folder's would register every operator twice in one
        // process (c10 aborts). So the folder is only for a build without bundled natives.
        if (BundledLibrary() is { } bundled)
            throw InputError.Invalid(
                Where(
                    $"this build carries its own libtorch ({bundled}); build it with -p:TorchBackend=none to run on "
                        + "an existing PyTorch, or unset the variable"
                )
            );
        // Loaded by full path, in dependency order. TorchSharp's probes by name then find them by soname (the
        // dynamic loader matches a bare name against what is loaded before it searches), and so do the shim's own
        // dependencies on libtorch.so, libc10.so and libtorch_cpu.so.
        foreach (var name in LoadOrder)
        {
            string path = Path.Combine(folder, name);
            if (File.Exists(path) && !NativeLibrary.TryLoad(path, out _))
                throw InputError.Invalid(Where($"{name} does not load (a library it needs is missing)"));
        }
        return new Folder(folder, version, cuda);
    }

    /// <summary>A libtorch the app carries in its own folders (a cpu or cuda build), or null.</summary>
    private static string? BundledLibrary()
    {
        foreach (var dir in NativeFolders())
        foreach (var name in new[] { "libtorch_cpu.so", "libtorch_cuda.so" })
            if (File.Exists(Path.Combine(dir, name)))
                return Path.Combine(dir, name);
        return null;
    }

    /// <summary>Whether the dynamic loader's own search path has a libtorch (the way PyTorch's docs use it).</summary>
    private static bool OnLibraryPath() =>
        (Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(d => File.Exists(Path.Combine(d, "libtorch_cpu.so")));

    private static IEnumerable<string> NativeFolders()
    {
        string rid = $"linux-{RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant()}";
        string torchDir = Path.GetDirectoryName(typeof(torch).Assembly.Location) ?? AppContext.BaseDirectory;
        foreach (var dir in new[] { AppContext.BaseDirectory, torchDir }.Distinct())
        {
            yield return dir;
            yield return Path.Combine(dir, "runtimes", rid, "native");
        }
    }

    /// <summary>The shim's unversioned imports that none of the folder's libraries define.</summary>
    internal static List<string> MissingFunctions(string folder, string shim, out int needed)
    {
        var imports = ElfSymbols.Read(shim).UnversionedImports;
        needed = imports.Count;
        var offered = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in LoadOrder)
        {
            string path = Path.Combine(folder, name);
            if (!File.Exists(path))
                continue;
            try
            {
                offered.UnionWith(ElfSymbols.Read(path).Exports);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException)
            {
                throw InputError.Invalid($"{FolderVariable}={folder}: {name} is not a readable ELF64 library");
            }
        }
        return imports.Where(s => !offered.Contains(s)).ToList();
    }

    /// <summary>
    /// PyTorch's own record of its version beside <c>torch/lib</c> (<c>torch/version.py</c>), or a LibTorch
    /// distribution's <c>build-version</c> one level up.
    /// </summary>
    private static (string? Version, string? Cuda) ReadVersion(string folder)
    {
        string parent = Path.GetDirectoryName(folder) ?? folder;
        string py = Path.Combine(parent, "version.py");
        if (File.Exists(py))
        {
            string text = File.ReadAllText(py);
            string? Field(string key) =>
                Regex.Match(text, $@"^{key}\s*(?::\s*[^=]+)?=\s*['""]([^'""]+)['""]", RegexOptions.Multiline)
                    is { Success: true } m
                    ? m.Groups[1].Value
                    : null;
            return (Field("__version__"), Field("cuda"));
        }
        string build = Path.Combine(parent, "build-version");
        return File.Exists(build) ? (File.ReadAllText(build).Trim(), null) : (null, null);
    }

    /// <summary>TorchSharp's native shim as this app carries it (flat, or under <c>runtimes/RID/native</c>).</summary>
    internal static string FindShim()
    {
        const string name = "libLibTorchSharp.so";
        return NativeFolders().Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException(
                $"TorchSharp's {name} was not found beside {AppContext.BaseDirectory}"
            );
    }

    private static string TorchSharpVersion =>
        typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            is { } v
            ? v.Split('+')[0]
            : typeof(torch).Assembly.GetName().Version?.ToString(3) ?? "?";

    private static bool ShimLoaded() => MappedFile("libLibTorchSharp.so") is not null;

    /// <summary>The full path of a library mapped into this process, from <c>/proc/self/maps</c>.</summary>
    private static string? MappedFile(string name)
    {
        if (!File.Exists("/proc/self/maps"))
            return null;
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            int slash = line.IndexOf('/');
            if (slash >= 0 && Path.GetFileName(line[slash..]) == name)
                return line[slash..];
        }
        return null;
    }

    /// <summary>
    /// What this process computes with, after <see cref="Load()"/>: the libtorch version and the folder it was loaded
    /// from, and the backend (<c>cpu</c>, or <c>cuda</c> with its version and device count). Initialises the backend.
    /// </summary>
    /// <param name="bundledCuda">The CUDA version of a bundled CUDA libtorch, where the app knows it.</param>
    public static LibTorchInfo Describe(string? bundledCuda = null)
    {
        Load();
        bool cuda = torch.cuda.is_available();
        using (torch.zeros(1)) { } // make sure the CPU library is mapped before we look for it
        string? from = MappedFile("libtorch_cpu.so") is { } p ? Path.GetDirectoryName(p) : null;
        return new LibTorchInfo(
            _own is null ? BuiltFor : _own.Version ?? "(version unknown)",
            _own is null ? LibTorchSource.Bundled : LibTorchSource.Variable,
            from ?? _own?.Path,
            cuda,
            cuda ? _own?.Cuda ?? bundledCuda : null,
            cuda ? torch.cuda.device_count() : 0
        );
    }
}
