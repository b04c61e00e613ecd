using InfraSharp.Examples;

// Usage: PackageConsumer DIR, where DIR holds `model/`, `train.jsonl` and `queries.jsonl` (the fixture's); the
// README's library example (ReadmeExample.cs) runs there and writes its outputs there.
if (args.Length != 1)
{
    Console.Error.WriteLine("usage: PackageConsumer DIR (holding model/, train.jsonl, queries.jsonl)");
    return 2;
}
Environment.CurrentDirectory = args[0];
ReadmeExample.Run();
return 0;
