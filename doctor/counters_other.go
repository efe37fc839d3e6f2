//go:build !linux

package doctor

// openCounters: perf_event_open is Linux's.
func openCounters() Counters { return Counters{Error: "perf_event_open is Linux only"} }
