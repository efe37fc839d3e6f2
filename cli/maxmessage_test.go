package cli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

// TestMaxMessageReachesRun checks that run's codecs read under
// --max-message as serve's and call's do: a payload over the cap fails
// every call, which stops the run at its first call, saying which limit;
// one under it passes.
func TestMaxMessageReachesRun(t *testing.T) {
	for _, tt := range []struct {
		maxMessage string
		wantFail   bool
	}{{"1KiB", true}, {"64KiB", false}} {
		t.Run("max-message="+tt.maxMessage, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), &stdout, &stderr, []string{
				"run", "--codec", "gob", "--peers", "none", "--transport", "pipe", "--payload", "bytes:4KiB",
				"--concurrency", "1", "--conns", "1", "--warmup", "0s", "--calls", "5", "--max-message", tt.maxMessage,
			})
			stopped := err != nil && strings.Contains(err.Error(), "exceeds limit 1024") && strings.Contains(err.Error(), "raise --max-message")
			if stopped != tt.wantFail || (!stopped && err != nil) {
				t.Fatalf("run with --max-message %s and 4 KiB payloads: error %v, want failure %v\nstdout:\n%s\nstderr:\n%s", tt.maxMessage, err, tt.wantFail, &stdout, &stderr)
			}
		})
	}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), &stdout, &stderr, []string{"run", "--max-message", "0", "--calls", "1"})
	if !errors.Is(err, errUsage) || !strings.Contains(stderr.String(), `--max-message "0"`) {
		t.Errorf("run --max-message 0: %v (stderr %q); want a usage error naming the value", err, stderr.String())
	}
}
