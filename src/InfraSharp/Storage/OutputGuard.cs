namespace InfraSharp.Storage;

/// <summary>
/// Refuses an output placed where writing it could destroy an input: a run's output folder may not be, contain or
/// lie inside anything it reads, and an output file may not be an input file. Checked before anything is written.
/// </summary>
public static class OutputGuard
{
    /// <summary>Refuses an output folder that is, contains or lies inside one of <paramref name="inputs"/>.</summary>
    public static void Folder(string outDir, string option, IEnumerable<RunInput> inputs)
    {
        string o = Full(outDir);
        foreach (var input in inputs)
        {
            string i = Full(input.Path!);
            if (Same(o, i))
                throw InputError.Argument($"{option} {outDir} is the {input.Name} input; write to a folder of its own");
            if (Inside(o, i))
                throw InputError.Argument(
                    $"{option} {outDir} lies inside the {input.Name} input {input.Path}; write to a folder of its own"
                );
            if (Inside(i, o))
                throw InputError.Argument(
                    $"{option} {outDir} contains the {input.Name} input {input.Path}; write to a folder of its own"
                );
        }
    }

    /// <summary>
    /// Refuses an output file that is an input (always), lies inside an input folder, or that exists without
    /// <paramref name="overwrite"/>; also an existing folder in its place.
    /// </summary>
    public static void File(string outFile, string option, bool overwrite, IEnumerable<RunInput> inputs)
    {
        string o = Full(outFile);
        foreach (var input in inputs)
        {
            string i = Full(input.Path!);
            if (Same(o, i))
                throw InputError.Argument($"{option} {outFile} is the {input.Name} input; write the result elsewhere");
            if (Inside(o, i))
                throw InputError.Argument(
                    $"{option} {outFile} lies inside the {input.Name} input {input.Path}; write the result elsewhere"
                );
        }
        if (Directory.Exists(o))
            throw InputError.Argument($"{option} {outFile} is a folder; give a file name");
        if (System.IO.File.Exists(o) && !overwrite)
            throw InputError.Argument(
                $"{option} {outFile} already exists; use another name, or --overwrite to replace it"
            );
    }

    private static string Full(string path) => System.IO.Path.TrimEndingDirectorySeparator(ResolveLinks(path));

    // A link to an input is the input: compare where paths lead, as far as they exist.
    private static string ResolveLinks(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        try
        {
            var info = new FileInfo(full);
            if (info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is { } f)
                return f.FullName;
            var dir = new DirectoryInfo(full);
            if (dir.LinkTarget is not null && dir.ResolveLinkTarget(returnFinalTarget: true) is { } d)
                return d.FullName;
        }
        catch (IOException) { }
        return full;
    }

    private static bool Same(string a, string b) => string.Equals(a, b, StringComparison.Ordinal);

    /// <summary>Whether <paramref name="path"/> lies strictly inside folder <paramref name="dir"/>.</summary>
    private static bool Inside(string path, string dir) =>
        path.StartsWith(dir.EndsWith('/') ? dir : dir + "/", StringComparison.Ordinal);
}
