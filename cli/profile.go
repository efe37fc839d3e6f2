package cli

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"time"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/harness"
	"github.com/rpcbench/rpcbench/harness/profile"
	"github.com/rpcbench/rpcbench/measure"
)

// profileRuns measures every configuration once more, under the CPU
// profiler and between two allocation profiles: a repetition of its own,
// so that the profiler's cost never reaches the measured figures. It
// returns where each benchmark's CPU per call went (run --explain), and
// with a dir (matrix --profile) also saves the profiles under
// dir/profiles. The profiled window takes in the warm-up
// (Duration+Warmup, no separate warm-up), so that every call the profile
// saw is one it counted: the gate and the breakdown divide by them.
func profileRuns(ctx context.Context, stderr io.Writer, dir string, cfgs []harness.Config) (map[string]*measure.Breakdown, error) {
	rules := profile.NewRules(codecPackages())
	breakdowns := make(map[string]*measure.Breakdown)
	for i, cfg := range cfgs {
		if cfg.Calls == 0 {
			cfg.Duration += cfg.Warmup
		}
		cfg.Warmup = 0
		name := cfg.Name()
		fmt.Fprintf(stderr, "rpcbench: profiling %d/%d %s\n", i+1, len(cfgs), name)
		// A workload with several rows (duplex) is one process's work:
		// its profile stands for each row, per call of either, as the
		// rows' costs are shared out.
		names := []string{name}
		var cpuTime time.Duration
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
				cpuTime += r.CPU
			}
			return calls, nil
		})
		if err != nil {
			return nil, fmt.Errorf("profiling %s: %w", name, err)
		}
		b, err := rules.Breakdown(cpu, cpuTime)
		if err != nil {
			return nil, fmt.Errorf("profiling %s: %w", name, err)
		}
		for _, name := range names {
			breakdowns[name] = b
			if dir == "" {
				continue
			}
			if err := profile.Save(dir, name, cpu, alloc); err != nil {
				return nil, err
			}
		}
	}
	return breakdowns, nil
}

// codecPackages are the import paths of every registered codec's
// package, built-in or from another module: the breakdown counts their
// frames as the codec's.
func codecPackages() []string {
	var pkgs []string
	for _, name := range codecs.Names() {
		c, err := codecs.Lookup(name)
		if err != nil {
			continue
		}
		t := reflect.TypeOf(c)
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		pkgs = append(pkgs, t.PkgPath())
	}
	return pkgs
}
