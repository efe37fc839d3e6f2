package format

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/rpcbench/rpcbench/measure"
)

// ProfileTolerance is how far a breakdown's total (the profile's CPU
// per call, sampled at 100 Hz) may stray from the process CPU per call
// of the same repetition before the line says the profile missed some:
// a 20% slack, plus three standard errors of the sample count.
func ProfileTolerance(b *measure.Breakdown) float64 {
	return 0.2 + 3/math.Sqrt(float64(max(b.Samples, 1)))
}

// explain writes, under the table, one line per row with a breakdown
// (run --explain): each category's CPU per call and share, and beside
// it the floor's of the same run, so that what a stack adds to the
// kernel's own work shows.
func explain(w io.Writer, rows []*Row) error {
	var lines []string
	for _, row := range rows {
		b := row.First.Breakdown
		if b == nil {
			continue
		}
		var floor *measure.Breakdown
		if ref := Reference(rows, row, measure.FloorID().String()); ref != nil && ref != row {
			floor = ref.First.Breakdown
		}
		var parts []string
		for _, c := range measure.Categories() {
			v, ok := b.PerCall[c.Key]
			fv, inFloor := floorPerCall(floor, c.Key)
			if !ok && !inFloor {
				continue
			}
			part := fmt.Sprintf("%s %s %s", c.Key, dur(v), percent(b.Share(c.Key)))
			if inFloor { // none: the floor spent nothing there
				part += fmt.Sprintf(" [%s %s]", dur(fv), percent(floor.Share(c.Key)))
			}
			parts = append(parts, part)
		}
		check := fmt.Sprintf("profile %s of cpu/op %s", percent(b.Total()/float64(b.CPU)), dur(float64(b.CPU)))
		if math.Abs(b.Total()/float64(b.CPU)-1) > ProfileTolerance(b) {
			check += ", off by more than the tolerance: too few samples, lengthen --duration"
		}
		lines = append(lines, fmt.Sprintf("  %s %s %s %s: %s = %s (%d calls, %d samples, %s)",
			StackLabel(row.First), TransportLabel(row.First), row.First.Payload, Callers(row.First), dur(b.Total()),
			strings.Join(parts, ", "), b.Calls, b.Samples, check))
	}
	if len(lines) == 0 {
		return nil
	}
	var keys []string
	for _, c := range measure.Categories() {
		keys = append(keys, c.Key+": "+c.Label)
	}
	_, err := fmt.Fprintf(w, "where the CPU per call goes, from a profiled repetition of its own, the floor's of the same run in brackets where it spent any (%s):\n%s\n",
		strings.Join(keys, ", "), strings.Join(lines, "\n"))
	return err
}

func floorPerCall(floor *measure.Breakdown, key string) (float64, bool) {
	if floor == nil {
		return 0, false
	}
	v, ok := floor.PerCall[key]
	return v, ok
}
