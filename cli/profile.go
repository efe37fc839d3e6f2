package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/rpcbench/rpcbench/harness"
	"github.com/rpcbench/rpcbench/harness/profile"
)

// profileRuns measures every configuration once more, under the CPU
// profiler and between two allocation profiles, and saves the profiles
// under dir/profiles: a repetition of its own, so that the profiler's
// cost never reaches the figures in bench.txt. The profiled window takes
// in the warm-up (Duration+Warmup, no separate warm-up), so that every
// call the profile saw is one it counted: the gate divides by them.
func profileRuns(ctx context.Context, stderr io.Writer, dir string, cfgs []harness.Config) error {
	for i, cfg := range cfgs {
		if cfg.Calls == 0 {
			cfg.Duration += cfg.Warmup
		}
		cfg.Warmup = 0
		name := cfg.Name()
		fmt.Fprintf(stderr, "rpcbench matrix: profiling %d/%d %s\n", i+1, len(cfgs), name)
		// A workload with several rows (duplex) is one process's work:
		// its profile stands for each row, per call of either, as the
		// rows' costs are shared out.
		names := []string{name}
		cpu, alloc, err := profile.Capture(func() (int64, error) {
			rows, err := harness.RunRows(ctx, cfg)
			if err != nil {
				return 0, err
			}
			names = names[:0]
			var calls int64
			for _, r := range rows {
				names = append(names, r.Name)
				calls += r.Calls
			}
			return calls, nil
		})
		if err != nil {
			return fmt.Errorf("profiling %s: %w", name, err)
		}
		for _, name := range names {
			if err := profile.Save(dir, name, cpu, alloc); err != nil {
				return err
			}
		}
	}
	return nil
}
