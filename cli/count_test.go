package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// The warning comes before any measurement: with the context cancelled,
// nothing is measured, and the warning is there all the same.
func TestTooFewRepetitionsWarnBeforeTheRun(t *testing.T) {
	tests := []struct {
		args []string
		warn bool
	}{
		{[]string{"run", "--codec", "gob", "--peers", "none", "--count", "3"}, true},
		{[]string{"run", "--codec", "gob", "--peers", "none"}, false}, // one run, not made to compare
		{[]string{"run", "--codec", "gob", "--peers", "none", "--count", "4"}, false},
		{[]string{"matrix", "--codecs", "gob", "--peers", "none", "--count", "2", "-o", "unused"}, true},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			var stdout, stderr bytes.Buffer
			run(ctx, &stdout, &stderr, tt.args)
			const want = "is too few for rpcbench gate and compare: need >= 4 samples to detect a difference at alpha level 0.05"
			if got := strings.Contains(stderr.String(), want); got != tt.warn {
				t.Errorf("warned %v, want %v; stderr:\n%s", got, tt.warn, stderr.String())
			}
		})
	}
}
