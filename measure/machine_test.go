package measure

import (
	"slices"
	"testing"
	"time"
)

func TestMachineDiffsNameWhatMatters(t *testing.T) {
	config := func(m Machine) map[string]string {
		out := make(map[string]string)
		for _, p := range m.Config() {
			out[p[0]] = p[1]
		}
		return out
	}
	base := Machine{GoTimerLate: time.Millisecond, PreciseLate: 30 * time.Microsecond, LoopbackP50: 5 * time.Microsecond, StealPercent: -1, NoiseCV: 3}
	tests := []struct {
		name string
		new  Machine
		want []string
	}{
		{"the same machine", base, nil},
		{"within twice", Machine{GoTimerLate: 1900 * time.Microsecond, PreciseLate: 55 * time.Microsecond, LoopbackP50: 9 * time.Microsecond, StealPercent: -1, NoiseCV: 7}, nil},
		{"past twice but under the floor of a microsecond", Machine{GoTimerLate: time.Millisecond, PreciseLate: 30 * time.Microsecond, LoopbackP50: 5*time.Microsecond + 900*time.Nanosecond, StealPercent: -1, NoiseCV: 3}, nil},
		{"a slower loopback and a noisy machine", Machine{GoTimerLate: time.Millisecond, PreciseLate: 30 * time.Microsecond, LoopbackP50: 19 * time.Microsecond, StealPercent: -1, NoiseCV: 40, PerfCounters: true},
			[]string{"the loopback floor: baseline 5µs, new 19µs", "noise: baseline 3.0%, new 40.0%", "hardware counters: baseline false, new true"}},
		{"steal shown on one side only is not compared", Machine{GoTimerLate: time.Millisecond, PreciseLate: 30 * time.Microsecond, LoopbackP50: 5 * time.Microsecond, StealPercent: 20, NoiseCV: 3}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MachineDiffs(config(base), config(tt.new)); !slices.Equal(got, tt.want) {
				t.Errorf("MachineDiffs = %q; want %q", got, tt.want)
			}
		})
	}
	if got := MachineDiffs(map[string]string{}, config(base)); got != nil {
		t.Errorf("against a file without machine lines: %q; want nothing compared", got)
	}
}
