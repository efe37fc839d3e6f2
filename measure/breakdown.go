package measure

import "time"

// A Breakdown splits a configuration's CPU per call into the categories a
// Go engineer recognises (codec encode, net/rpc, system calls, the
// scheduler, GC ...), from a CPU profile of a repetition of its own, so
// that the profiler never touches the measured figures (DESIGN 10). The
// categories, in harness/profile's one table, are Categories.
type Breakdown struct {
	// Calls are the calls the profiled repetition completed.
	Calls int64 `json:"calls"`
	// CPU is the profiled repetition's process CPU per call (getrusage,
	// as cpu/op): what the categories, sampled at 100 Hz, should add up to.
	CPU time.Duration `json:"cpu_ns_per_op"`
	// Samples is how many profile samples the categories rest on.
	Samples int64 `json:"samples"`
	// PerCall is each category's CPU per call in nanoseconds, in the
	// order of Categories; categories without a sample are left out.
	PerCall map[string]float64 `json:"per_call_ns"`
}

// Categories are the breakdown's categories, in the order tables and
// charts show them, by key, with the label a person reads.
func Categories() []struct{ Key, Label string } {
	return []struct{ Key, Label string }{
		{"encode", "codec encode"},
		{"decode", "codec decode"},
		{"rpc", "net/rpc"},
		{"framing", "framing & buffers"},
		{"syscall", "read/write syscalls"},
		{"sched", "scheduler"},
		{"gc", "GC"},
		{"harness", "rpcbench recording"},
		{"other", "other"},
	}
}

// Total is the sum of the categories: the profile's CPU per call.
func (b *Breakdown) Total() float64 {
	var t float64
	for _, v := range b.PerCall {
		t += v
	}
	return t
}

// Share is category key's part of the total, 0 to 1.
func (b *Breakdown) Share(key string) float64 {
	if t := b.Total(); t > 0 {
		return b.PerCall[key] / t
	}
	return 0
}
