package doctor

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// lineWidth is the text table's width, the verdicts wrapped to fit.
const lineWidth = 100

// A row is one figure of the text table.
type row struct {
	label, value string
	Verdict
}

// Text writes r as a table: one line per figure, its value and verdict.
func Text(w io.Writer, r Report) error {
	rows := []row{{"figure", "value", Verdict{Level: "verdict"}}}
	for _, t := range r.Timers {
		how := t.How
		if how == "precise" {
			how += " (" + r.Mechanism + ")"
		}
		rows = append(rows, row{how + " " + t.Wait.String(), fmt.Sprintf("late +%v p50, +%v p99", short(t.P50), short(t.P99)), t.Verdict})
	}
	steal := "not shown"
	if r.Steal.Shown {
		steal = fmt.Sprintf("%.2f%% of CPU time", r.Steal.Percent)
	}
	counters := "none"
	if r.Counters.Available {
		counters = "CPU cycles can be counted"
	}
	rows = append(rows,
		row{"loopback floor", fmt.Sprintf("%v p50, %v p99", short(r.Loopback.P50), short(r.Loopback.P99)), r.Loopback.Verdict},
		row{"CPU steal", steal, r.Steal.Verdict},
		row{"CPU frequency", frequency(r.Frequency), r.Frequency.Verdict},
		row{"GOMAXPROCS", fmt.Sprintf("%d (%d CPUs)", r.GOMAXPROCS.GOMAXPROCS, r.GOMAXPROCS.NumCPU), r.GOMAXPROCS.Verdict},
		row{"hardware counters", counters, r.Counters.Verdict},
		row{"noise", fmt.Sprintf("CV %.1f%% over %d × %v", r.Noise.CV, r.Noise.Windows, r.Noise.Window), r.Noise.Verdict},
	)
	var labelWidth, valueWidth int
	for _, row := range rows {
		labelWidth = max(labelWidth, utf8.RuneCountInString(row.label))
		valueWidth = max(valueWidth, utf8.RuneCountInString(row.value))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "rpcbench doctor: %s/%s, %s, measured in %v\n\n", r.OS, r.Arch, r.GoVersion, r.Elapsed.Round(100*time.Millisecond))
	for _, row := range rows {
		verdict := row.Level
		if row.Why != "" {
			verdict += ": " + row.Why
		}
		line := fmt.Sprintf("  %-*s  %-*s  ", labelWidth, row.label, valueWidth, row.value)
		indent := strings.Repeat(" ", utf8.RuneCountInString(line))
		for i, word := range strings.Fields(verdict) {
			switch {
			case i > 0 && utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) > lineWidth:
				b.WriteString(line + "\n")
				line = indent + word
			case i > 0:
				line += " " + word
			default:
				line += word
			}
		}
		b.WriteString(line + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func frequency(f Frequency) string {
	if !f.Shown {
		return "not shown"
	}
	var parts []string
	if len(f.Governors) > 0 {
		parts = append(parts, strings.Join(f.Governors, "+"))
	}
	if f.MaxMHz > 0 {
		parts = append(parts, fmt.Sprintf("%.0f/%.0f MHz", f.CurMHz, f.MaxMHz))
	}
	return strings.Join(parts, ", ")
}

// short rounds d to three figures or so: 37µs, 1.05ms.
func short(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Millisecond:
		return d.Round(100 * time.Microsecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	case d >= 10*time.Microsecond:
		return d.Round(time.Microsecond)
	}
	return d.Round(100 * time.Nanosecond)
}
