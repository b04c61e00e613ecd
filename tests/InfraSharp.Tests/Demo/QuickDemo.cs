namespace InfraSharp.Tests.Demo;

/// <summary>
/// The quick demo, run once per test run and shared by its end-to-end checks (<see cref="DemoTests"/>). It trains a
/// model for minutes, so whatever uses it belongs to the System tier; the browser tests read
/// <see cref="FixtureAnalysis"/> instead.
/// </summary>
public static class QuickDemo
{
    private static readonly Lazy<(string Dir, string Printed)> Run = new(
        () =>
        {
            string dir = Fixtures.TempDir();
            var output = new StringWriter();
            var old = Console.Out;
            Console.SetOut(output);
            try
            {
                int rc = InfraSharp.Cli.Program.Main(["demo", "--quick", "--seed", "1", "--out", dir]);
                if (rc != 0)
                    throw new InvalidOperationException($"the quick demo exited with {rc}");
            }
            finally
            {
                Console.SetOut(old);
            }
            return (dir, output.ToString());
        },
        LazyThreadSafetyMode.ExecutionAndPublication
    );

    public static string Dir => Run.Value.Dir;
    public static string Printed => Run.Value.Printed;
}
