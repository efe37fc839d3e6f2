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

func (g *goTimer) until(deadline time.Time) bool {
	for d := time.Until(deadline); d > 0; d = time.Until(deadline) {
		g.t.Reset(d)
		select {
		case <-g.t.C:
		case <-g.stop:
			g.t.Stop()
			return true
		}
	}
	return false
}

func (g *goTimer) interrupt() {
	select {
	case g.stop <- struct{}{}:
	default:
	}
}

func (g *goTimer) rearm() {
	select {
	case <-g.stop:
	default:
	}
}

func (g *goTimer) close()       { g.t.Stop() }
func (g *goTimer) name() string { return "go-timer" }
