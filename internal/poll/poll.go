// Package poll waits in tests for what no channel reports: another
// process's output, a log line, a server's goroutine count. Until checks
// a condition until it holds and fails the test after a generous limit,
// a watchdog for a loaded machine, never a timing assertion. Where an
// event can be received (a channel, a returned call), tests wait on that
// instead.
package poll

import (
	"errors"
	"testing"
	"time"
)

// Every is how often Until checks.
const Every = 10 * time.Millisecond

// Until checks cond every few milliseconds until it returns nil, and
// fails t with cond's last error once limit has passed.
func Until(t testing.TB, limit time.Duration, cond func() error) {
	t.Helper()
	if err := Within(limit, cond); err != nil {
		t.Fatalf("after %v: %v", limit, err)
	}
}

// For checks cond every few milliseconds until it holds, and fails t
// once limit has passed, saying what it waited for ("the watch to
// arrive").
func For(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	Until(t, limit, func() error {
		if !cond() {
			return errors.New("gave up waiting for " + what)
		}
		return nil
	})
}

// Within checks cond every few milliseconds until it returns nil, and
// returns cond's last error once limit has passed.
func Within(limit time.Duration, cond func() error) error {
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(Every)
	defer tick.Stop()
	for {
		err := cond()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		<-tick.C
	}
}
