package cli

import "testing"

func TestGateGolden(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		// rpc-aa.txt ran the same build on another machine, 30% slower:
		// the floor moved, so time is undecided (exit 2), exact units pass.
		{"gate-slower-machine-undecided", []string{"gate", "--baseline", "rpc-base.txt", "rpc-aa.txt"}},
		// The case: a run with --work 200us (work=200us in its names) has the same codec,
		// transport, payload and conc, and another configuration.
		{"gate-refuses-work", []string{"gate", "--baseline", "rpc-base.txt", "rpc-work.txt"}},
		// Same machine, codecs 20% slower, floor 60% slower: raw times,
		// so the slowdown cannot read as an improvement.
		{"gate-same-env-slower-never-improved", []string{"gate", "--baseline", "rpc-base.txt", "rpc-floor-slowed.txt"}},
		// The same figures under GOMAXPROCS=1: ratios, the floor's move is
		// called out, and the codecs' apparent 25% improvement is not claimed.
		{"gate-env-differs-floor-moved", []string{"gate", "--baseline", "rpc-base.txt", "rpc-floor-slowed-procs1.txt"}},
		// The codecs unchanged, the floor 80% faster under GOMAXPROCS=1: as
		// ratios the codecs look 5 times slower, which must not fail.
		{"gate-env-differs-floor-faster", []string{"gate", "--baseline", "rpc-base.txt", "rpc-floor-faster-procs1.txt"}},
		{"gate-same-file-twice", []string{"gate", "--baseline", "rpc-base.txt", "rpc-base.txt"}},
		{"gate-gomaxprocs-differs", []string{"gate", "--codec", "msgpack", "--baseline", "rpc-base.txt", "rpc-procs1.txt"}},
		{"gate-same-machine-flags-it", []string{"gate", "--same-machine", "--units", "ns/op", "--baseline", "rpc-base.txt", "rpc-aa.txt"}},
		// rpc-slow.txt: msgpack 15% slower, one more allocation per call.
		{"gate-regression", []string{"gate", "--baseline", "rpc-base.txt", "rpc-slow.txt"}},
		{"gate-markdown", []string{"gate", "--format", "markdown", "--codec", "msgpack", "--baseline", "rpc-base.txt", "rpc-slow.txt"}},
		{"gate-thresholds", []string{"gate", "--threshold", "20%", "--threshold", "allocs/op=10%", "--codec", "msgpack", "--baseline", "rpc-base.txt", "rpc-slow.txt"}},
		{"gate-too-few-samples", []string{"gate", "--codec", "msgpack", "--baseline", "rpc-few.txt", "rpc-few2.txt"}},
		{"gate-go-test-no-floor", []string{"gate", "--baseline", "go-old.txt", "go-new.txt"}},
		{"gate-go-test-same-machine", []string{"gate", "--same-machine", "--baseline", "go-old.txt", "go-new.txt"}},
		// Matrix directories with profiles: the regressed rows say what grew.
		{"gate-explains-with-profiles", []string{"gate", "--codec", "msgpack", "--baseline", "prof-base", "prof-slow"}},
		{"gate-explains-markdown", []string{"gate", "--format", "markdown", "--codec", "msgpack", "--units", "sec/op,allocs/op", "--baseline", "prof-base", "prof-slow"}},
		{"gate-missing-file", []string{"gate", "--baseline", "missing.txt", "rpc-aa.txt"}},
		{"gate-unparsable", []string{"gate", "--baseline", "rpc-base.txt", "rpc-bad.txt"}},
		{"gate-refuses-nan", []string{"gate", "--baseline", "rpc-base.txt", "rpc-nan.txt"}},
		{"gate-refuses-zero-iterations", []string{"gate", "--baseline", "rpc-zero-iters.txt", "rpc-base.txt"}},
		{"gate-refuses-negative", []string{"gate", "--baseline", "rpc-base.txt", "rpc-negative.txt"}},
		{"gate-no-common", []string{"gate", "--baseline", "go-old.txt", "rpc-aa.txt"}},
		{"gate-bad-threshold", []string{"gate", "--threshold", "ten", "--baseline", "rpc-base.txt", "rpc-aa.txt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { golden(t, tt.name, tt.args...) })
	}
}
