// Package harness drives load through one configuration (a stack, a
// transport, a payload, a workload and a load model) and measures it:
// latency distribution, throughput, allocations, CPU, context switches,
// system calls and bytes on the wire.
//
// The driver is three independent pieces: the scheduler (schedule.go)
// says when each caller acts, closed loop or open loop at a rate; the
// recorder (recorder.go) keeps the histograms and counters; a Workload
// (workload.go; call.go is the default) says what the callers do and what
// they record. The stack (package stack) says how a call travels. Time
// comes from an injectable Clock, so that the scheduler and the recorder
// are tested on a fake one. Config.Name is the one function that names
// benchmarks; Benchmark runs a Config under go test -bench with the same
// names and units as rpcbench run --format bench.
package harness
