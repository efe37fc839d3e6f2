package redial

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestBackoffDoublesUpToTheCap(t *testing.T) {
	want := []time.Duration{50, 100, 200, 400, 800, 1600, 3200, 5000, 5000}
	d := MinBackoff
	for i, w := range want {
		if w *= time.Millisecond; d != w {
			t.Fatalf("wait %d: %v, want %v", i, d, w)
		}
		d = Next(d)
	}
}

func TestJitterStaysWithinTwentyPercent(t *testing.T) {
	lo, hi := MaxBackoff, time.Duration(0)
	for range 1000 {
		d := Vary(time.Second)
		lo, hi = min(lo, d), max(hi, d)
	}
	if lo < 800*time.Millisecond || hi > 1200*time.Millisecond {
		t.Errorf("1s varied over [%v, %v], want within [800ms, 1.2s]", lo, hi)
	}
	if hi-lo < 200*time.Millisecond {
		t.Errorf("1s varied only over [%v, %v]: jitter too narrow to spread workers", lo, hi)
	}
}
