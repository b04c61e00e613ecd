namespace InfraSharp.Demo;

/// <summary>A curated training mix of the demo: its name, its rows' file and the curation's account of it.</summary>
public sealed record DemoMix(string Name, string Path, string Summary);
