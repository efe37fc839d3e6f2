package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/server"
)

func TestLogLimiterCountsWhatItHoldsBack(t *testing.T) {
	var log logBuffer
	l := server.NewLogLimiter(log.Logf, time.Hour)
	for i := range 3000 {
		l.Logf("handshake with %d failed", i)
	}
	l.Logf("serving on %s", "here") // another reason passes at once
	l.Close()
	got := strings.Split(strings.TrimSpace(log.String()), "\n")
	want := []string{"handshake with 0 failed", "serving on here", "handshake with 2999 failed (and 2998 more like it)"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("logged:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestLogLimiterReportsAtTheEndOfTheInterval(t *testing.T) {
	var log logBuffer
	l := server.NewLogLimiter(log.Logf, 20*time.Millisecond)
	defer l.Close()
	for range 5 {
		l.Logf("bad frame")
	}
	waitFor(t, "the count of held lines", func() bool { return strings.Contains(log.String(), "bad frame (and 3 more like it)") })
}
