using TorchSharp;
using static TorchSharp.torch;

namespace InfraSharp.Models;

/// <summary>
/// Every device-specific line of the toolkit: parsing <c>cpu | cuda | cuda:N</c>, checking that the device
/// exists, and the random generators that must live on it. Everything else creates its tensors on the device
/// of the tensors it already has (the model's weights), so the CPU tests exercise the same code as a GPU run.
/// </summary>
public static class ComputeDevice
{
    /// <summary>The CPU device's name.</summary>
    public const string Cpu = "cpu";

    /// <summary>The device named by <paramref name="spec"/>; one line naming <paramref name="option"/>
    /// otherwise.</summary>
    public static Device Parse(string spec, string option = "--device")
    {
        string s = spec.Trim().ToLowerInvariant();
        if (s == Cpu)
            return CPU;
        int index = 0;
        bool cudaName = s == "cuda" || s.StartsWith("cuda:") && int.TryParse(s[5..], out index) && index >= 0;
        if (!cudaName)
            throw InputError.Argument($"{option} '{spec}' must be cpu, cuda or cuda:N");
        if (!cuda.is_available())
            throw InputError.Unsupported(
                $"{option} {spec}: CUDA is not available here (no GPU, or libtorch without CUDA); use {option} cpu"
            );
        int count = cuda.device_count();
        if (index >= count)
            throw InputError.Argument($"{option} {spec}: this machine has {count} CUDA device(s)");
        return new Device(DeviceType.CUDA, index);
    }

    /// <summary>A seeded generator on <paramref name="device"/> (sampling on a device needs a generator
    /// there).</summary>
    public static Generator Generator(long seed, Device device) =>
        device.type == DeviceType.CPU ? new Generator((ulong)seed) : new Generator((ulong)seed, device);
}
