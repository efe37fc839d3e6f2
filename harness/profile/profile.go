// Package profile takes the CPU and allocation profiles that rpcbench
// matrix --profile saves beside its results, and tells the gate which
// functions' cost per call grew between two of them (DIR/profiles/
// NAME.cpu.pb.gz and NAME.alloc.pb.gz, DESIGN 10).
//
// Each profile records the calls its window completed, as a comment
// ("rpcbench calls: N"), so that two profiles of runs that made
// different numbers of calls compare per call: the base is scaled by
// -(new calls / base calls) and merged with the new one, which is
// pprof's -diff_base with the base brought to the new run's call count.
package profile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"

	"github.com/google/pprof/profile"
)

// The kinds of profile saved per configuration.
const (
	CPU   = "cpu"
	Alloc = "alloc"
)

// Dir is the directory, beside a matrix's bench.txt, holding its profiles.
const Dir = "profiles"

// FileName is the file a benchmark's profile of kind is saved in: the
// name with its slashes made underscores and its colons dashes (which
// some file systems refuse), "RPC_codec=gob_..._payload=bytes-1KiB_conc=1.cpu.pb.gz".
func FileName(bench, kind string) string {
	return fileSafe.Replace(bench) + "." + kind + ".pb.gz"
}

var fileSafe = strings.NewReplacer("/", "_", ":", "-")

const callsComment = "rpcbench calls: "

// Capture runs measure, which returns the calls it completed, under a CPU
// profile, and takes the allocations it made as the difference of two
// allocation profiles (each after a GC, since the runtime publishes a
// cycle's allocations when it ends). Profiling is process-wide: in
// process, client and server are profiled together, as they are measured.
func Capture(measure func() (calls int64, err error)) (cpu, alloc *profile.Profile, err error) {
	before, err := allocs()
	if err != nil {
		return nil, nil, err
	}
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err != nil {
		return nil, nil, fmt.Errorf("profile: %w", err)
	}
	calls, err := measure()
	pprof.StopCPUProfile()
	if err != nil {
		return nil, nil, err
	}
	if cpu, err = profile.Parse(&buf); err != nil {
		return nil, nil, fmt.Errorf("profile: reading the CPU profile: %w", err)
	}
	after, err := allocs()
	if err != nil {
		return nil, nil, err
	}
	before.Scale(-1)
	if alloc, err = profile.Merge([]*profile.Profile{after, before}); err != nil {
		return nil, nil, fmt.Errorf("profile: subtracting allocations made before the window: %w", err)
	}
	dropZero(alloc)
	alloc.DefaultSampleType = "alloc_space"
	for _, p := range []*profile.Profile{cpu, alloc} {
		p.Comments = append(p.Comments, callsComment+strconv.FormatInt(calls, 10))
	}
	return cpu, alloc, nil
}

func allocs() (*profile.Profile, error) {
	runtime.GC()
	var buf bytes.Buffer
	if err := pprof.Lookup("allocs").WriteTo(&buf, 0); err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	p, err := profile.Parse(&buf)
	if err != nil {
		return nil, fmt.Errorf("profile: reading the allocation profile: %w", err)
	}
	return p, nil
}

// dropZero removes the samples a subtraction left at zero: the stacks
// that allocated before the window and not in it.
func dropZero(p *profile.Profile) {
	kept := p.Sample[:0]
	for _, s := range p.Sample {
		for _, v := range s.Value {
			if v != 0 {
				kept = append(kept, s)
				break
			}
		}
	}
	p.Sample = kept
}

// Save writes the profiles of bench under dir/profiles.
func Save(dir, bench string, cpu, alloc *profile.Profile) error {
	if err := os.MkdirAll(filepath.Join(dir, Dir), 0o755); err != nil {
		return err
	}
	for kind, p := range map[string]*profile.Profile{CPU: cpu, Alloc: alloc} {
		f, err := os.Create(filepath.Join(dir, Dir, FileName(bench, kind)))
		if err != nil {
			return err
		}
		if err := p.Write(f); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}

// Calls returns the calls p's window completed, from its comment.
func Calls(p *profile.Profile) (int64, error) {
	for _, c := range p.Comments {
		if s, ok := strings.CutPrefix(c, callsComment); ok {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n <= 0 {
				return 0, fmt.Errorf("profile: bad call count %q", c)
			}
			return n, nil
		}
	}
	return 0, errors.New("profile: no call count: not a profile written by rpcbench matrix --profile")
}

// Load reads a profile file.
func Load(path string) (*profile.Profile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}
