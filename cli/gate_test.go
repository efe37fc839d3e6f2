package cli

import "testing"

func TestGateGolden(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		// rpc-aa.txt ran the same build on a machine 30% slower.
		{"gate-pass-slower-machine", []string{"gate", "--baseline", "rpc-base.txt", "rpc-aa.txt"}},
		{"gate-same-machine-flags-it", []string{"gate", "--same-machine", "--units", "ns/op", "--baseline", "rpc-base.txt", "rpc-aa.txt"}},
		// rpc-slow.txt: msgpack 15% slower, one more allocation per call.
		{"gate-regression", []string{"gate", "--baseline", "rpc-base.txt", "rpc-slow.txt"}},
		{"gate-markdown", []string{"gate", "--format", "markdown", "--codec", "msgpack", "--baseline", "rpc-base.txt", "rpc-slow.txt"}},
		{"gate-thresholds", []string{"gate", "--threshold", "20%", "--threshold", "allocs/op=10%", "--codec", "msgpack", "--baseline", "rpc-base.txt", "rpc-slow.txt"}},
		{"gate-too-few-samples", []string{"gate", "--codec", "msgpack", "--baseline", "rpc-few.txt", "rpc-few2.txt"}},
		{"gate-go-test-no-floor", []string{"gate", "--baseline", "go-old.txt", "go-new.txt"}},
		{"gate-go-test-same-machine", []string{"gate", "--same-machine", "--baseline", "go-old.txt", "go-new.txt"}},
		{"gate-missing-file", []string{"gate", "--baseline", "missing.txt", "rpc-aa.txt"}},
		{"gate-unparsable", []string{"gate", "--baseline", "rpc-base.txt", "rpc-bad.txt"}},
		{"gate-no-common", []string{"gate", "--baseline", "go-old.txt", "rpc-aa.txt"}},
		{"gate-bad-threshold", []string{"gate", "--threshold", "ten", "--baseline", "rpc-base.txt", "rpc-aa.txt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { golden(t, tt.name, tt.args...) })
	}
}
