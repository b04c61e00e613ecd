using System.Runtime.CompilerServices;

// The tests reach a few internals that have no business in the public API (e.g. a sandbox with a chosen bwrap).
[assembly: InternalsVisibleTo("InfraSharp.Tests")]

// The toolkit's own front ends and benchmarks drive kernels and file formats that library users go through the runs
// for: these stay out of the public API rather than being documented as if they were part of it.
[assembly: InternalsVisibleTo("infra")]
[assembly: InternalsVisibleTo("InfraSharp.Explorer")]
[assembly: InternalsVisibleTo("InfraSharp.Bench")]
