package watchdog

import (
	"testing"
	"time"
)

// fakeT records a failure instead of failing the real test.
type fakeT struct {
	testing.TB
	failed chan string
}

func (f *fakeT) Errorf(format string, args ...any) { f.failed <- format }
func (f *fakeT) Cleanup(func())                    {}

func TestFiringFailsAndClosesWhatWasTracked(t *testing.T) {
	ft := &fakeT{TB: t, failed: make(chan string, 1)}
	w := Arm(ft, time.Millisecond, "hung thing")
	closed := make(chan struct{})
	w.TrackFunc(func() { close(closed) })
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("tracked closer not called after the watchdog fired")
	}
	if len(ft.failed) != 1 {
		t.Fatal("the test was not failed")
	}
	late := make(chan struct{})
	w.TrackFunc(func() { close(late) })
	select {
	case <-late:
	default:
		t.Fatal("a closer tracked after firing was not closed at once")
	}
}
