package precise

import "time"

// goTimer waits with a time.Timer: the fallback where no timerfd is to be
// had, about a millisecond late below a millisecond on an idle Linux
// process.
type goTimer struct {
	t    *time.Timer
	stop chan struct{} // holds a token once interrupted, until rearm
}

func newGoTimer() *goTimer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &goTimer{t: t, stop: make(chan struct{}, 1)}
}

func (g *goTimer) arm(deadline time.Time) { g.t.Reset(time.Until(deadline)) }

func (g *goTimer) wait() bool {
	select {
	case <-g.t.C:
		return false
	case <-g.stop:
		return true
	}
}

func (g *goTimer) interrupt() {
	select {
	case g.stop <- struct{}{}:
	default:
	}
}

func (g *goTimer) rearm() {
	g.t.Stop()
	select {
	case <-g.stop:
	default:
	}
}

func (g *goTimer) close()       { g.t.Stop() }
func (g *goTimer) name() string { return "go-timer" }
