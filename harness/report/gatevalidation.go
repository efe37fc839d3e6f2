package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// GateValidationFile is the machine-readable summary scripts/gate-validate.sh
// writes beside its summary.txt.
const GateValidationFile = "summary.json"

// GateValidation is what scripts/gate-validate.sh found: how often the gate
// cried wolf on two honest runs, how often it caught a known slowdown, and
// whether it refused a changed configuration and noticed a changed
// environment. Field names match the script's summary.json.
type GateValidation struct {
	Repetitions int    `json:"repetitions"` // per side of each pair
	Load        string `json:"load"`        // the command each repetition ran
	AA          struct {
		Pairs       int `json:"pairs"`
		FalseAlarms int `json:"false_alarms"` // the gate failed
		TimeAlarms  int `json:"time_alarms"`  // pairs with a time unit flagged
		ExactAlarms int `json:"exact_alarms"` // pairs with an exact count flagged
		Undecided   int `json:"inconclusive"`
		ComparedRaw int `json:"compared_raw"` // gates that compared raw times
	} `json:"aa"`
	Slowdown struct {
		Percent   float64 `json:"percent"` // of a call's CPU, burnt in msgpack's encode path
		Pairs     int     `json:"pairs"`
		Caught    int     `json:"caught"` // on a time unit
		Failed    int     `json:"failed"` // the gate exited 1
		Undecided int     `json:"inconclusive"`
	} `json:"slowdown"`
	Work struct {
		Flag    string `json:"flag"`
		Exit    int    `json:"exit"`
		Refused bool   `json:"refused"` // as a configuration mismatch naming work
	} `json:"work"`
	GOMAXPROCS struct {
		Exit      int    `json:"exit"`
		Ratios    bool   `json:"ratios"` // switched to ratios to the floor and said so first
		FirstLine string `json:"first_line"`
	} `json:"gomaxprocs"`
	Verdict string `json:"verdict"` // PASS or FAIL
}

// ReadGateValidation reads dir's summary.json, as gate-validate.sh wrote it.
func ReadGateValidation(dir string) (*GateValidation, error) {
	file := filepath.Join(dir, GateValidationFile)
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var v GateValidation
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if v.AA.Pairs <= 0 || v.Slowdown.Pairs <= 0 {
		return nil, fmt.Errorf("%s: want A/A and slowdown pairs, have %d and %d", file, v.AA.Pairs, v.Slowdown.Pairs)
	}
	return &v, nil
}

// An Option adds to what New writes.
type Option func(*options)

type options struct {
	gateValidation *GateValidation
	gateDir        string
	breakdowns     []Input
}

// WithGateValidation adds the gate's validation, read from dir, to the
// report: its false-alarm and detection rates.
func WithGateValidation(dir string, v *GateValidation) Option {
	return func(o *options) { o.gateValidation, o.gateDir = v, dir }
}

// gateValidation writes "Can the gate be trusted?": the rates
// gate-validate.sh measured, each beside its target.
func gateValidation(b *bytes.Buffer, dir string, v *GateValidation) {
	if v == nil {
		return
	}
	fmt.Fprintf(b, "## Can the gate be trusted?\n\n")
	fmt.Fprintf(b, "`scripts/gate-validate.sh %d` (results in %s) gated, as CI's A/B gate does, pairs of runs measured on one machine with their %d repetitions per side alternating: two honest runs of the same build (A/A), and a build whose msgpack encode path burns %g%% of a call's CPU (slowdown); then one run changed by `%s` and one by GOMAXPROCS=1. Overall: **%s**.\n\n",
		v.AA.Pairs, dir, v.Repetitions, v.Slowdown.Percent, v.Work.Flag, v.Verdict)
	if v.Load != "" {
		fmt.Fprintf(b, "Each repetition was one process running `%s`.\n\n", v.Load)
	}
	fmt.Fprintf(b, "| case | pairs | outcome | rate (false alarms, detections) | target |\n|---|---:|---|---:|---|\n")
	fmt.Fprintf(b, "| A/A, no change | %d | the gate failed in %d (a row flagged on a time unit in %d, on an exact count in %d); %d inconclusive; %d of %d compared raw | %s | at most 5%% |\n",
		v.AA.Pairs, v.AA.FalseAlarms, v.AA.TimeAlarms, v.AA.ExactAlarms, v.AA.Undecided, v.AA.ComparedRaw, v.AA.Pairs, rate(v.AA.FalseAlarms, v.AA.Pairs))
	fmt.Fprintf(b, "| %g%% CPU slowdown | %d | caught on a time unit in %d; the gate failed in %d; %d inconclusive | %s | at least 95%% |\n",
		v.Slowdown.Percent, v.Slowdown.Pairs, v.Slowdown.Caught, v.Slowdown.Failed, v.Slowdown.Undecided, rate(v.Slowdown.Caught, v.Slowdown.Pairs))
	fmt.Fprintf(b, "| `%s` on one side | 1 | exit %d; %s | | refused, naming work |\n",
		v.Work.Flag, v.Work.Exit, yes(v.Work.Refused, "refused as a configuration mismatch naming work", "not refused as a configuration mismatch naming work"))
	fmt.Fprintf(b, "| GOMAXPROCS=1 on one side | 1 | exit %d; %s | | ratios, said first |\n",
		v.GOMAXPROCS.Exit, yes(v.GOMAXPROCS.Ratios, "compared ratios to the floor and said so first", "did not say it compared ratios to the floor"))
	fmt.Fprintln(b)
	if line := strings.TrimSpace(v.GOMAXPROCS.FirstLine); line != "" {
		fmt.Fprintf(b, "The GOMAXPROCS=1 gate's first line: `%s`\n\n", strings.ReplaceAll(line, "`", "'"))
	}
}

func rate(n, of int) string { return fmt.Sprintf("%.0f%%", 100*float64(n)/float64(of)) }

func yes(ok bool, y, n string) string {
	if ok {
		return y
	}
	return n
}
