package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/rpcbench/rpcbench/doctor"
)

const doctorSynopsis = `doctor [--quick] [--format text|json]

Measures the machine, as a result's figures depend on it: how late Go's
timers and rpcbench's precise wait come back (100µs and 1ms waits, p50 and
p99), the loopback floor (1 caller, 16 bytes over 127.0.0.1), CPU steal and
frequency scaling where Linux shows them, GOMAXPROCS, whether hardware
performance counters can be opened, and the noise of a fixed CPU loop over
repeated windows. Each figure has a verdict: ok, warning (and why) or not
shown. It takes a few seconds; warnings do not change the exit status.`

func doctorCmd(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("doctor", doctorSynopsis, stdout)
	quick := fs.Bool("quick", false, "measure for well under a second, with coarser figures")
	format := fs.String("format", "text", "output: text or json")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q: doctor takes none", fs.Arg(0))
	}
	if *format != "text" && *format != "json" {
		return usagef("--format %q: want text or json", *format)
	}
	var opts doctor.Options
	if *quick {
		opts = doctor.Quick()
	}
	r, err := doctor.Measure(ctx, opts)
	switch {
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("doctor: %w", errInterrupted)
	case err != nil:
		return fmt.Errorf("doctor: %w", err)
	case *format == "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	return doctor.Text(stdout, r)
}
