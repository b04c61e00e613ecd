using System.Runtime.CompilerServices;

// The tests reach a few internals that have no business in the public API (e.g. a sandbox with a chosen bwrap).
[assembly: InternalsVisibleTo("InfraSharp.Tests")]
