//go:build unix

package precise

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkWait measures how late each way of waiting returns, one wait
// per op, at durations below and above the runtime's millisecond, and the
// process's CPU time per wait (user and system, from getrusage). Run it
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
		{"precise.Spin", func(d time.Duration) {
			SpinUntilContext(context.Background(), time.Now().Add(d), min(d, BenchSpinMargin))
		}},
		{"time.Sleep", time.Sleep},
		{"time.Timer", func(d time.Duration) { <-time.NewTimer(d).C }},
	}
	for _, w := range waits {
		for _, d := range []time.Duration{10 * time.Microsecond, 100 * time.Microsecond, time.Millisecond, 10 * time.Millisecond} {
			name := "how=" + w.name + "/wait=" + strings.ReplaceAll(d.String(), "µ", "u")
			b.Run(name, func(b *testing.B) {
				cpu := cpuTime(b)
				l := Measure(w.wait, d, b.N)
				b.ReportMetric(float64(cpuTime(b)-cpu)/float64(b.N), "cpu-ns/op")
				b.ReportMetric(float64(l.P50), "p50-late-ns/op")
				b.ReportMetric(float64(l.P99), "p99-late-ns/op")
			})
		}
	}
}

// BenchSpinMargin is the spin BenchmarkWait gives precise.Spin: the
// generator's largest.
const BenchSpinMargin = 200 * time.Microsecond

// BenchmarkArm is the CPU an arming costs, fired or not: a Timer armed and
// stopped before it fires, against a time.Timer's.
func BenchmarkArm(b *testing.B) {
	b.Run("how=precise.Timer", func(b *testing.B) {
		t := NewTimer(time.Hour)
		for b.Loop() {
			t.Reset(time.Hour)
		}
		t.Stop()
	})
	b.Run("how=time.Timer", func(b *testing.B) {
		t := time.NewTimer(time.Hour)
		for b.Loop() {
			t.Reset(time.Hour)
		}
		t.Stop()
	})
}

// cpuTime is the process's user and system time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
