using System.CommandLine;
using System.CommandLine.Invocation;
using System.Reflection;
using InfraSharp.Runtime;

namespace InfraSharp.Cli;

/// <summary>
/// <c>infra --version</c>: the package version, then the libtorch in use and its backend, as the process actually
/// loaded them (so a bug report says which natives ran, not which were meant to).
/// </summary>
internal sealed class VersionAction : SynchronousCommandLineAction
{
    public override int Invoke(ParseResult parseResult)
    {
        var asm = typeof(VersionAction).Assembly;
        string version = asm.GetCustomAttribute<AssemblyInformationalVersionAttribute>()
            ?.InformationalVersion.Split('+')[0]
            ?? asm.GetName().Version?.ToString(3)
            ?? "?";
        string? Metadata(string key) =>
            asm.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value;
        var parse = parseResult.InvocationConfiguration.Output;
        parse.WriteLine($"infra {version}");
        parse.WriteLine(LibTorch.Describe(Metadata("LibTorchCudaVersion")).ToString());
        parse.WriteLine($"built with TorchBackend={Metadata("TorchBackend") ?? "?"}");
        return 0;
    }
}
