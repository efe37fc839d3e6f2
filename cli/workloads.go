package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/rpcbench/rpcbench/harness"
	"github.com/rpcbench/rpcbench/measure"
	"github.com/rpcbench/rpcbench/payload"
)

// workloadFlags are the flags of the watch and duplex workloads, which run
// and matrix share.
type workloadFlags struct {
	watchers, back int
	backPayload    string
	notes          []string // stacks left out of a workload, and why
}

func addWorkloadFlags(fs *flag.FlagSet) *workloadFlags {
	f := new(workloadFlags)
	fs.IntVar(&f.watchers, "watchers", 100, "watch: watches kept blocked, spread over --conns connections (the conc= of watch rows);\n"+
		fmt.Sprintf("%d watchers share a key, and the setter changes the keys in turn at --rate Sets/s (%d when --rate is not given)", measure.WatchersPerKey, harness.WatchRate))
	fs.IntVar(&f.back, "back-concurrency", 0, "duplex: worker→master callers (row dir=up), beside --concurrency master→worker callers (dir=down);\n0: as many as --concurrency")
	fs.StringVar(&f.backPayload, "back-payload", "", "duplex: the worker→master callers' payload; empty: --payload")
	return f
}

// workloads reads --workload's list (run and matrix both take a
// comma-separated list) into workloads, with the watch and duplex flags
// that shape them.
func (f *workloadFlags) workloads(list string) ([]harness.Workload, error) {
	var wls []harness.Workload
	for _, name := range split(list) {
		wl, err := harness.LookupWorkload(name)
		if err != nil {
			return nil, usagef("--workload: %v", err)
		}
		switch wl.(type) {
		case harness.Watch:
			if f.watchers < 1 {
				return nil, usagef("--watchers %d: want at least 1", f.watchers)
			}
		case harness.Duplex:
			d := harness.Duplex{Back: f.back}
			if f.back < 0 {
				return nil, usagef("--back-concurrency %d: want 0 (as --concurrency) or more", f.back)
			}
			if f.backPayload != "" {
				p, err := payload.Parse(f.backPayload)
				if err != nil {
					return nil, usagef("--back-payload: %v", err)
				}
				d.BackPayload = p
			}
			wl = d
		}
		wls = append(wls, wl)
	}
	return wls, nil
}

// printNotes says which stacks a workload left out: under the table when
// it is text, else on stderr, so that bench and JSON output stay clean.
func (f *workloadFlags) printNotes(stdout, stderr io.Writer, format string) {
	w := stderr
	if format == "text" {
		w = stdout
	}
	for _, n := range f.notes {
		fmt.Fprintf(w, "note: %s\n", strings.TrimSpace(n))
	}
}
