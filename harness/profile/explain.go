package profile

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rpcbench/rpcbench/measure"
)

// kindOf returns the profile and sample type that explain a change in a
// gated unit: CPU for time, allocations for allocs/op and B/op.
func kindOf(unit string) (kind, sampleType string, ok bool) {
	switch {
	case unit == measure.UnitAllocsPerOp:
		return Alloc, "alloc_objects", true
	case unit == measure.UnitBytesPerOp:
		return Alloc, "alloc_space", true
	case strings.Contains(unit, "sec"):
		return CPU, "cpu", true
	}
	return "", "", false
}

// Top is how many functions Explain names.
const Top = 5

// Explain says which functions' cost per call grew most between the
// profiles of bench saved under baseDir and newDir, for a row of unit
// that regressed, and how to open the whole difference in go tool pprof.
// It returns nothing, and no error, when the unit has no profile to
// explain it or either side saved none.
func Explain(baseDir, newDir, bench, unit string) ([]string, error) {
	kind, sampleType, ok := kindOf(unit)
	if !ok {
		return nil, nil
	}
	paths := [2]string{filepath.Join(baseDir, Dir, FileName(bench, kind)), filepath.Join(newDir, Dir, FileName(bench, kind))}
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			return nil, nil
		}
	}
	base, err := Load(paths[0])
	if err != nil {
		return nil, err
	}
	cur, err := Load(paths[1])
	if err != nil {
		return nil, err
	}
	d, err := Compare(base, cur, sampleType)
	if err != nil {
		return nil, fmt.Errorf("%s and %s: %w", paths[0], paths[1], err)
	}
	what := map[string]string{"cpu": "CPU", "alloc_space": "bytes allocated", "alloc_objects": "allocations"}[sampleType]
	lines := []string{fmt.Sprintf("%s per call that grew most (profiles of %d and %d calls):", what, d.BaseCalls, d.NewCalls)}
	for i, c := range d.Grew {
		if i == Top {
			break
		}
		lines = append(lines, fmt.Sprintf("  +%s  %s", formatPerCall(c.PerCall, d.SampleType.Unit), c.Func))
	}
	if len(d.Grew) == 0 {
		lines = append(lines, "  (no function's own cost per call grew in the profiles)")
	}
	flag := ""
	if kind == Alloc {
		flag = " -sample_index=" + sampleType
	}
	lines = append(lines, fmt.Sprintf("go tool pprof%s -diff_base=%s %s", flag, paths[0], paths[1]))
	return lines, nil
}

func formatPerCall(v float64, unit string) string {
	switch unit {
	case "nanoseconds":
		return time.Duration(v).String()
	case "bytes":
		return fmt.Sprintf("%.0fB", v)
	}
	return fmt.Sprintf("%.2f", v)
}
