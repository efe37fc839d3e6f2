package profile

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/google/pprof/profile"
)

// A Change is one function's change in cost per call, in its sample
// type's unit (nanoseconds of CPU, bytes or objects allocated).
type Change struct {
	Func    string
	PerCall float64
}

// A Diff is what grew between a base profile and a new one.
type Diff struct {
	SampleType profile.ValueType // cpu/nanoseconds, alloc_space/bytes, ...
	// BaseCalls and NewCalls are the calls each profile's window made.
	BaseCalls, NewCalls int64
	// Grew lists the functions whose own (flat) cost per call grew, most
	// first.
	Grew []Change
}

// Compare returns the change per call in sampleType ("cpu",
// "alloc_space", "alloc_objects") between base and cur, each function's
// own cost (flat: its frames at the top of the stack, inlined frames
// counted as the function they were written in).
func Compare(base, cur *profile.Profile, sampleType string) (*Diff, error) {
	bc, err := Calls(base)
	if err != nil {
		return nil, err
	}
	nc, err := Calls(cur)
	if err != nil {
		return nil, err
	}
	b := base.Copy()
	// pprof's -diff_base, with the base brought to the new run's calls.
	b.Scale(-float64(nc) / float64(bc))
	diff, err := profile.Merge([]*profile.Profile{cur.Copy(), b})
	if err != nil {
		return nil, fmt.Errorf("profile: merging: %w", err)
	}
	idx := slices.IndexFunc(diff.SampleType, func(t *profile.ValueType) bool { return t.Type == sampleType })
	if idx < 0 {
		return nil, fmt.Errorf("profile: no sample type %q", sampleType)
	}
	flat := make(map[string]int64)
	for _, s := range diff.Sample {
		if fn := leaf(s); fn != "" {
			flat[fn] += s.Value[idx]
		}
	}
	d := &Diff{SampleType: *diff.SampleType[idx], BaseCalls: bc, NewCalls: nc}
	for name, v := range flat {
		if v > 0 {
			d.Grew = append(d.Grew, Change{name, float64(v) / float64(nc)})
		}
	}
	slices.SortFunc(d.Grew, func(a, b Change) int {
		return cmp.Or(cmp.Compare(b.PerCall, a.PerCall), cmp.Compare(a.Func, b.Func))
	})
	return d, nil
}

// leaf is the function a sample's cost is its own: the innermost frame
// (Line[0] of the first location), except that a goroutine preempted by
// a signal has runtime.asyncPreempt on top of the function it was
// running, which is the one to blame: a tight loop is what gets
// preempted that way.
func leaf(s *profile.Sample) string {
	for _, loc := range s.Location {
		for _, l := range loc.Line {
			if l.Function == nil {
				return ""
			}
			if l.Function.Name != "runtime.asyncPreempt" {
				return l.Function.Name
			}
		}
	}
	return ""
}
