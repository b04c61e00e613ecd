namespace InfraSharp.Runtime;

/// <summary>Where this process's libtorch came from.</summary>
public enum LibTorchSource
{
    /// <summary>The natives the application carries (TorchSharp's libtorch package for its backend).</summary>
    Bundled,

    /// <summary>An existing PyTorch installation named by <see cref="LibTorch.FolderVariable"/>.</summary>
    Variable,
}

/// <summary>The libtorch a process computes with (<see cref="LibTorch.Describe"/>).</summary>
/// <param name="Version">libtorch's version: PyTorch's own for a folder, the package's for bundled natives.</param>
/// <param name="Source">Bundled with the app, or from <see cref="LibTorch.FolderVariable"/>.</param>
/// <param name="Folder">The folder <c>libtorch_cpu.so</c> is mapped from, as the process sees it.</param>
/// <param name="Cuda">Whether CUDA is available to it (a CUDA build of libtorch and at least one device).</param>
/// <param name="CudaVersion">The CUDA version libtorch was built for, where known.</param>
/// <param name="Devices">CUDA devices visible (0 without CUDA).</param>
public sealed record LibTorchInfo(
    string Version,
    LibTorchSource Source,
    string? Folder,
    bool Cuda,
    string? CudaVersion,
    int Devices
)
{
    /// <summary>The backend in use as the CLI prints it: <c>cpu</c>, or <c>cuda 12.8, 2 devices</c>.</summary>
    public string Backend => Cuda ? $"cuda {CudaVersion ?? "(version unknown)"}, {Devices} devices" : "cpu";

    /// <summary>One line: version, where it came from, and the backend.</summary>
    public override string ToString() =>
        $"libtorch {Version} "
        + (Source == LibTorchSource.Variable ? $"from {LibTorch.FolderVariable}={Folder}" : $"(bundled: {Folder})")
        + $", backend {Backend}";
}
