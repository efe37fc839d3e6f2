package backoff

import (
	"testing"
	"time"
)

func TestNextDoublesToTheCapWithJitter(t *testing.T) {
	b := Backoff{Min: 100 * time.Millisecond, Max: 1 * time.Second}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, w := range want {
		w *= time.Millisecond
		got := b.Next()
		lo, hi := time.Duration(float64(w)*(1-Jitter)), time.Duration(float64(w)*(1+Jitter))
		if got < lo || got > hi {
			t.Errorf("wait %d: %v, want %v ±%.0f%%", i+1, got, w, Jitter*100)
		}
	}
	b.Reset()
	if got := b.Next(); got > time.Duration(float64(100*time.Millisecond)*(1+Jitter)) {
		t.Errorf("after Reset: %v, want about 100ms", got)
	}
}

func TestZeroValueUsesDefaults(t *testing.T) {
	var b Backoff
	if got := b.Next(); got < time.Duration(float64(Min)*(1-Jitter)) || got > time.Duration(float64(Min)*(1+Jitter)) {
		t.Errorf("first wait %v, want about %v", got, Min)
	}
}

func TestDefaultsDoubleFrom50msTo5s(t *testing.T) {
	var b Backoff
	for i, w := range []time.Duration{50, 100, 200, 400, 800, 1600, 3200, 5000, 5000} {
		w *= time.Millisecond
		b.Next()
		// b.next is now the wait after this one: check the sequence itself,
		// without the jitter.
		if want := min(2*w, Max); b.next != want {
			t.Fatalf("after wait %d (%v): next %v, want %v", i+1, w, b.next, want)
		}
	}
}

func TestJitterStaysWithinTwentyPercent(t *testing.T) {
	lo, hi := time.Hour, time.Duration(0)
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

func TestFailingLastsFromNextToReset(t *testing.T) {
	var b Backoff
	if b.Failing() {
		t.Fatal("a new Backoff is failing")
	}
	b.Next()
	if !b.Failing() {
		t.Fatal("not failing after Next")
	}
	b.Reset()
	if b.Failing() {
		t.Fatal("still failing after Reset")
	}
}
