namespace InfraSharp.Tests.Experiment;

/// <summary><c>infra experiment</c>'s bad input: one line naming the option, exit code 2, nothing written.</summary>
[Collection("cli")]
public class ExperimentCliTests
{
    private static (int Code, string Error) Infra(params string[] args)
    {
        var old = Console.Error;
        var err = new StringWriter();
        Console.SetError(err);
        try
        {
            return (InfraSharp.Cli.Program.Main(args), err.ToString().Trim());
        }
        finally
        {
            Console.SetError(old);
        }
    }

    [Theory]
    [InlineData("--seeds", "0", "--seeds")]
    [InlineData("--seed", "-1", "--seed")]
    [InlineData("--partition", "3/2", "--partition")]
    public void BadOptionsAreOneLineNamingTheOption(string option, string value, string named)
    {
        string dir = Path.Combine(Fixtures.TempDir(), "exp");
        var (code, error) = Infra("experiment", "--quick", "--out", dir, option, value);
        Assert.Equal(2, code);
        Assert.Contains(named, error);
        Assert.DoesNotContain('\n', error);
        Assert.False(Directory.Exists(dir));
    }
}
