package precise

import (
	"strings"
	"testing"
	"time"
)

// BenchmarkWait measures how late each way of waiting returns, one wait
// per op, at durations below and above the runtime's millisecond. Run it
// on an idle machine: Go's timers are late by a millisecond only when the
// process has nothing else to do, which is when a benchmark's server or
// schedule waits.
//
//	go test -run '^$' -bench Wait -benchtime 200x ./internal/precise
func BenchmarkWait(b *testing.B) {
	waits := []struct {
		name string
		wait func(time.Duration)
	}{
		{"precise.Sleep", Sleep},
		{"precise.Timer", func(d time.Duration) { <-NewTimer(d).C() }},
		{"time.Sleep", time.Sleep},
		{"time.Timer", func(d time.Duration) { <-time.NewTimer(d).C }},
	}
	for _, w := range waits {
		for _, d := range []time.Duration{10 * time.Microsecond, 100 * time.Microsecond, time.Millisecond, 10 * time.Millisecond} {
			name := "how=" + w.name + "/wait=" + strings.ReplaceAll(d.String(), "µ", "u")
			b.Run(name, func(b *testing.B) {
				l := Measure(w.wait, d, b.N)
				b.ReportMetric(float64(l.P50), "p50-late-ns/op")
				b.ReportMetric(float64(l.P99), "p99-late-ns/op")
			})
		}
	}
}
