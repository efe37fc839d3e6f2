//go:build !precise_gotimer

package precise

import (
	"os"
	"testing"
	"time"
)

func TestLinuxWaitsWithATimerfd(t *testing.T) {
	if m := Mechanism(); m != "timerfd" {
		t.Errorf("Mechanism() = %q, want timerfd", m)
	}
}

func openFDs(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip(err)
	}
	return len(fds)
}

func TestWaitsReuseTheirDescriptors(t *testing.T) {
	Sleep(0) // the pool's first waiter
	before := openFDs(t)
	for range 100 {
		Sleep(time.Microsecond)
	}
	timers := make([]*Timer, cap(idle)+32) // more than the pool keeps
	for i := range timers {
		timers[i] = NewTimer(time.Hour)
	}
	for _, tm := range timers {
		tm.Stop()
	}
	// The stopped timers' goroutines hand their fds back as they end.
	after := openFDs(t)
	for end := time.Now().Add(10 * time.Second); after > before+cap(idle) && time.Now().Before(end); after = openFDs(t) {
		Sleep(time.Millisecond)
	}
	if after > before+cap(idle) {
		t.Errorf("%d descriptors open after the waits, %d before: more than the pool's %d", after, before, cap(idle))
	}
}

// BenchmarkWaiterSetup is what the pool saves per wait: a timerfd made,
// registered with the netpoller and closed, against one taken from the
// pool and put back.
func BenchmarkWaiterSetup(b *testing.B) {
	b.Run("pooled", func(b *testing.B) {
		for b.Loop() {
			put(get(), false)
		}
	})
	b.Run("fresh", func(b *testing.B) {
		for b.Loop() {
			w, err := newTimerfd()
			if err != nil {
				b.Fatal(err)
			}
			w.close()
		}
	})
}
