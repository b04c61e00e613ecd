using System.Reflection;
using InfraSharp.Runtime;

namespace InfraSharp.Tests.Cli;

/// <summary>
/// <c>infra --version</c> and the bring-your-own libtorch folder (<c>INFRASHARP_LIBTORCH</c>), each through a real
/// <c>infra</c> process: the variable must take effect before TorchSharp loads, which only a fresh process shows.
/// </summary>
public class VersionTests
{
    private static readonly string Natives = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native");

    [Fact]
    public void VersionNamesThePackageTheLibTorchAndTheBackend()
    {
        var run = InfraProcess.Run(["--version"]);
        Assert.True(run.ExitCode == 0, run.Stderr);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string version = typeof(InfraSharp.Cli.Program)
            .Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!
            .InformationalVersion.Split('+')[0];
        Assert.Equal($"infra {version}", lines[0]);
        // The tests run on the CPU libtorch the CLI carries by default, loaded from this very build's folder.
        Assert.Equal($"libtorch {LibTorch.BuiltFor} (bundled: {Natives}), backend cpu", lines[1]);
        Assert.Equal("built with TorchBackend=cpu", lines[2]);
    }

    [Fact]
    public void TheBundledShimCallsOnlyFunctionsThatTheBundledLibTorchOffers()
    {
        // The check a bring-your-own folder must pass, on the libtorch TorchSharp 0.107 was built for: all found.
        var missing = LibTorch.MissingFunctions(Natives, LibTorch.FindShim(), out int needed);
        Assert.True(needed > 1000, $"{needed} imports"); // the shim calls ~1,200 libtorch functions
        Assert.Empty(missing);
    }

    [Fact]
    public void AMismatchedFolderIsOneLineNamingTheVariableAndExit2()
    {
        // A PyTorch-shaped folder (torch/lib beside torch/version.py) whose libtorch_cpu.so is a real library that
        // lacks libtorch's functions, as an older or foreign build would: the version check must refuse it before
        // anything is loaded.
        string torch = Path.Combine(Fixtures.TempDir(), "torch"),
            lib = Path.Combine(torch, "lib");
        Directory.CreateDirectory(lib);
        File.WriteAllText(Path.Combine(torch, "version.py"), "__version__ = '1.13.1+cpu'\ncuda = None\n");
        File.Copy(Path.Combine(Natives, "libc10.so"), Path.Combine(lib, "libc10.so"));
        File.Copy(Path.Combine(Natives, "libtorch.so"), Path.Combine(lib, "libtorch.so"));
        File.Copy(Path.Combine(Natives, "libc10.so"), Path.Combine(lib, "libtorch_cpu.so"));
        var run = InfraProcess.Run(["--version"], new Dictionary<string, string> { [LibTorch.FolderVariable] = lib });
        Assert.Equal(2, run.ExitCode);
        var line = Assert.Single(run.ErrorLines);
        Assert.StartsWith(
            $"error: {LibTorch.FolderVariable}={lib}: libtorch 1.13.1+cpu does not match TorchSharp",
            line
        );
        Assert.Contains("functions it calls are missing", line);
        Assert.Equal("", run.Stdout);
    }

    [Theory]
    [InlineData("no-such-folder", "no such folder")]
    [InlineData("empty", "no libc10.so there")]
    public void AFolderWithoutLibTorchIsOneLineAndExit2(string kind, string expected)
    {
        string dir = Path.Combine(Fixtures.TempDir(), kind);
        if (kind == "empty")
            Directory.CreateDirectory(dir);
        var run = InfraProcess.Run(["--version"], new Dictionary<string, string> { [LibTorch.FolderVariable] = dir });
        Assert.Equal(2, run.ExitCode);
        var line = Assert.Single(run.ErrorLines);
        Assert.StartsWith($"error: {LibTorch.FolderVariable}={dir}: {expected}", line);
    }

    [Fact]
    public void AFolderBesideBundledNativesIsRefusedRatherThanLoadedTwice()
    {
        // This test build carries the CPU libtorch: a real libtorch folder beside it would register every operator
        // twice (c10 aborts the process), so the variable asks for a build without natives instead.
        var run = InfraProcess.Run(
            ["--version"],
            new Dictionary<string, string> { [LibTorch.FolderVariable] = Natives }
        );
        Assert.Equal(2, run.ExitCode);
        var line = Assert.Single(run.ErrorLines);
        Assert.Contains("this build carries its own libtorch", line);
        Assert.Contains("-p:TorchBackend=none", line);
    }
}
