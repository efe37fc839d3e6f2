package format

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/rpcbench/rpcbench/measure"
)

// Markdown writes the text table's figures as a GitHub-flavoured Markdown
// table, numbers right-aligned, followed by the same notes as a list.
func Markdown(w io.Writer, run Run) error {
	rows := Rows(run.Results)
	head := []string{"stack", "transport", "payload", "conc", "calls", "calls/s", "p50", "p90", "p99", "p99.9", "max", "allocs/op", "B/op", "cpu/op", "wire-B/op", "p50 ×floor", "calls/s ×grpc", "errors"}
	var b strings.Builder
	b.WriteString("| " + strings.Join(head, " | ") + " |\n|")
	for i := range head {
		if i < 3 {
			b.WriteString(" --- |")
		} else {
			b.WriteString(" ---: |")
		}
	}
	b.WriteString("\n")
	for _, row := range rows {
		r, m := row.First, row.Medians
		f := func(unit, s string) string {
			if !row.Succeeded() && slices.Contains(successUnits, unit) {
				return "-"
			}
			return s
		}
		cells := []string{
			measure.Label(r.Stack), TransportLabel(r), r.Payload, Callers(r), fmt.Sprint(row.Calls),
			f("calls/s", fmt.Sprintf("%.0f", m["calls/s"])), f("p50-ns", dur(m["p50-ns"])), f("p90-ns", dur(m["p90-ns"])),
			f("p99-ns", dur(m["p99-ns"])), f("p99.9-ns", dur(m["p99.9-ns"])), f("max-ns", dur(m["max-ns"])),
			fmt.Sprintf("%.1f", m["allocs/op"]), fmt.Sprintf("%.0f", m["B/op"]), dur(m["cpu-ns/op"]), fmt.Sprintf("%.0f", m["wire-B/op"]),
			Ratio(row, Reference(rows, row, measure.FloorID().String()), "p50-ns"),
			Ratio(row, Reference(rows, row, measure.GRPCID().String()), "calls/s"),
			fmt.Sprint(row.Errors),
		}
		for i, c := range cells {
			cells[i] = strings.ReplaceAll(c, "|", `\|`)
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	var notesBuf strings.Builder
	if err := notes(&notesBuf, run, rows); err != nil {
		return err
	}
	if n := strings.TrimSpace(notesBuf.String()); n != "" {
		b.WriteString("\n")
		for _, l := range strings.Split(n, "\n") {
			b.WriteString("- " + l + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
