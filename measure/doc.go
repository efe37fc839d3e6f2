// Package measure holds what a run produces and nothing that produces it:
// the Result of one measured window with its latency histogram and
// process counters, the one table of units every output derives its
// spellings from (Metrics: each metric's benchmark unit, CSV column and
// JSON field, the name the text table and --fail-on use, the tidied unit
// the gate compares), the stack identities and size names that benchmark
// names carry, and the environment a run was measured in. Everything that
// only reads results (format, report, merge, hdrlog, compare, gate)
// imports this package and never the engine, so reading a JSON file needs
// no gRPC, Thrift or yamux (TestReadersDoNotImportTheEngine).
package measure
