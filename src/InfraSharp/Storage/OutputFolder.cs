namespace InfraSharp.Storage;

/// <summary>Creating an output folder, with failures (a file in the way, no permission) reported as bad
/// input.</summary>
public static class OutputFolder
{
    /// <summary>Creates <paramref name="dir"/> (and its parents) and checks that files can be written there.</summary>
    public static void Create(string dir)
    {
        try
        {
            Directory.CreateDirectory(dir);
            // Probe that files can be written here before any long work starts.
            string probe = Path.Combine(dir, $".write-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw InputError.Argument($"output folder {dir} cannot be written: {e.Message}");
        }
    }

    /// <summary>The folder that will hold <paramref name="file"/>, created and checked.</summary>
    public static void ForFile(string file) => Create(Path.GetDirectoryName(Path.GetFullPath(file))!);
}
