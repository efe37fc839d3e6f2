// Package harness drives load through one configuration (a stack, a
// transport, a payload, a workload and a load model) and measures it:
// latency distribution, throughput, allocations, CPU, context switches,
// system calls and bytes on the wire.
//
// The driver is three independent pieces: the schedule (schedule.go)
// says when callers act, closed loop or one window's arrivals at a rate
// that free callers claim; the recorder (recorder.go) keeps the histograms
// and counters; a Workload (workload.go; call.go is the default, watch.go
// and duplex.go the seed's scenarios) says what the callers do and what
// they record, and is registered like a codec, so that a module outside
// this one adds its own (RegisterWorkload; Window.Each does the
// scheduling and recording for it). The stack (package stack) says how a
// call travels, and what a run produces is package measure's. Time comes
// from an injectable Clock, precise on the real one (internal/precise), so
// that the schedule and the recorder are tested on a fake one. Config.Name
// names benchmarks through measure.Name; Benchmark runs a Config under go
// test -bench with the same names and units as rpcbench run --format
// bench; FindMax searches for the highest rate that holds an objective.
// A Plan is what a command line asks for, a list wherever it takes one
// (stacks, payloads, callers, transports, workloads, rates); Plan.Expand
// crosses the lists into the Configs to run, so that the command parses
// flags and this package decides what runs.
package harness
