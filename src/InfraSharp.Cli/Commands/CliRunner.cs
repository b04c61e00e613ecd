using InfraSharp.Text;

namespace InfraSharp.Cli.Commands;

/// <summary>Runs a command body and turns the expected kinds of bad input into one clear line and exit code 2.</summary>
public static class CliRunner
{
    public static int Run(Func<int> body)
    {
        try { return body(); }
        catch (Exception e) when (e is DataRowException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException
                                   or NotSupportedException or ArgumentException or FormatException or InvalidOperationException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }

}
