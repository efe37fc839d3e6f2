package gate

import "golang.org/x/perf/benchmath"

// CountWarnings returns benchmath's warnings for count repetitions per
// side at alpha (0 means 0.05): what the gate would say after the run
// if count is too few for its U test ever to reach significance, for a
// command to say before the run spends its time. It compares two samples
// as far apart as samples can be, so a warning here is a warning for
// every comparison of that size.
func CountWarnings(count int, alpha float64) []error {
	if alpha == 0 {
		alpha = benchmath.DefaultThresholds.CompareAlpha
	}
	th := &benchmath.Thresholds{CompareAlpha: alpha}
	lo, hi := make([]float64, count), make([]float64, count)
	for i := range count {
		lo[i], hi[i] = float64(i), float64(count+i)
	}
	return benchmath.AssumeNothing.Compare(benchmath.NewSample(lo, th), benchmath.NewSample(hi, th)).Warnings
}
