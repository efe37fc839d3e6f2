package harness

import (
	"fmt"
	"strings"
)

// Name is the configuration's benchmark name, without the "Benchmark"
// prefix and the GOMAXPROCS suffix: "RPC/codec=msgpack/transport=tcp/
// payload=bytes:1KiB/conc=16/conns=4". It is the one function that names
// benchmarks: rpcbench run --format bench, matrix and go test -bench RPC
// (Benchmark) all call it, so that their lines compare and gate against
// each other. A workload with several rows names each with its dir=.
func (cfg *Config) Name() string { return cfg.name("") }

func (cfg *Config) name(dir string) string {
	parts := []string{"RPC", cfg.Stack.ID().String(), "transport=" + cfg.Transport.Name()}
	if cfg.Net != "" {
		parts = append(parts, "net="+cfg.Net)
	}
	parts = append(parts, "payload="+cfg.Payload.Name, fmt.Sprintf("conc=%d", cfg.Concurrency))
	if cfg.Conns != cfg.Concurrency && cfg.Stack.Shared() {
		parts = append(parts, fmt.Sprintf("conns=%d", cfg.conns()))
	}
	if cfg.Pipeline > 1 {
		parts = append(parts, fmt.Sprintf("pipeline=%d", cfg.Pipeline))
	}
	if cfg.Rate > 0 {
		parts = append(parts, fmt.Sprintf("rate=%g", cfg.Rate))
	}
	if w := cfg.workload(); w != DefaultWorkload {
		parts = append(parts, "workload="+w.Name())
	}
	if dir != "" {
		parts = append(parts, "dir="+dir)
	}
	return strings.Join(parts, "/")
}
