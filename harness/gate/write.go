package gate

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"golang.org/x/perf/benchunit"

	"github.com/rpcbench/rpcbench/harness/compare"
)

// Summary is the report's one-line verdict.
func (r *Report) Summary() string {
	n := r.Counts()
	total := len(r.Rows)
	switch r.Verdict() {
	case Regression:
		return fmt.Sprintf("gate: FAIL: %d %s in %d comparisons (%d improved, %d undecided)", n[Regression], plural(n[Regression], "regression"), total, n[Improved], n[Warning])
	case Warning:
		return fmt.Sprintf("gate: INCONCLUSIVE: %d of %d comparisons could not be decided, see the warnings (no regression, %d improved)", n[Warning], total, n[Improved])
	}
	return fmt.Sprintf("gate: PASS: %d comparisons, no regression (%d improved)", total, n[Improved])
}

func plural(n int, s string) string {
	if n == 1 {
		return s
	}
	return s + "s"
}

// Text writes how time was compared first, then the table with a verdict
// per row, its footnotes and notes, and the summary line last.
func (r *Report) Text(w io.Writer) error {
	fmt.Fprintln(w, "gate: "+r.Method)
	for _, l := range r.FloorMoved {
		fmt.Fprintln(w, l)
	}
	// The table is aligned whole, then each row's explanation goes under
	// it: a line without tabs inside the tabwriter would restart the
	// alignment.
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	var notes compare.Footnotes
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, row := range r.Rows {
		fmt.Fprintln(tw, strings.Join(row.cells(&notes, false), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	lines := strings.SplitAfter(table.String(), "\n")
	io.WriteString(w, lines[0])
	for i, row := range r.Rows {
		io.WriteString(w, lines[i+1])
		for _, l := range row.Explanation {
			fmt.Fprintln(w, "    "+l)
		}
	}
	notes.Write(w, "")
	for _, l := range r.notes() {
		fmt.Fprintln(w, l)
	}
	_, err := fmt.Fprintln(w, r.Summary())
	return err
}

// Markdown writes what Text does as Markdown, for a pull request comment
// or $GITHUB_STEP_SUMMARY, with the verdict first: it is what a reader of
// a job summary came for.
func (r *Report) Markdown(w io.Writer) error {
	fmt.Fprintf(w, "**%s**\n\n%s  \n", r.Summary(), r.Method)
	for _, l := range r.FloorMoved {
		fmt.Fprintf(w, "%s  \n", l)
	}
	fmt.Fprintln(w)
	var notes compare.Footnotes
	fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(header, " | "), strings.Repeat("---|", len(header)))
	for _, row := range r.Rows {
		fmt.Fprintf(w, "| %s |\n", strings.Join(row.cells(&notes, true), " | "))
	}
	fmt.Fprintln(w)
	notes.Write(w, "  ")
	for _, row := range r.Rows {
		if len(row.Explanation) > 0 {
			fmt.Fprintf(w, "\n`%s` %s:\n\n```\n%s\n```\n", row.Name, row.Unit, strings.Join(row.Explanation, "\n"))
		}
	}
	var err error
	for _, l := range r.notes() {
		_, err = fmt.Fprintf(w, "%s  \n", l)
	}
	return err
}

var header = []string{"benchmark", "unit", "baseline", "new", "change", "test", "verdict"}

func (row *Row) cells(notes *compare.Footnotes, markdown bool) []string {
	name, unit := row.Name, row.Unit
	if row.Ratio {
		unit += " ×floor"
	}
	var old, cur string
	switch {
	case math.IsNaN(row.Old): // not measured
	case row.Ratio:
		old, cur = fmt.Sprintf("%.3f", row.Old), fmt.Sprintf("%.3f", row.New)
	default:
		scale := benchunit.CommonScale([]float64{row.Old, row.New}, benchunit.ClassOf(row.Unit))
		old, cur = scale.Format(row.Old), scale.Format(row.New)
	}
	chg := ""
	if !math.IsNaN(row.Change) && !math.IsInf(row.Change, 0) {
		chg = fmt.Sprintf("%+.1f%%", 100*row.Change)
	}
	test := "exact"
	if _, ok := exact[row.Unit]; !ok {
		test = ""
	}
	if row.Tested {
		test = row.Comparison.String()
	}
	verdict := row.Verdict.String()
	if markdown {
		name = "`" + name + "`"
		if row.Verdict == Regression {
			verdict = "**" + verdict + "**"
		}
	}
	var why []error
	if row.Why != "" {
		why = []error{errors.New(row.Why)}
	}
	return []string{name, unit, old, cur, chg, test, verdict + notes.Mark(why, row.Warnings)}
}

// notes lists how the figures were made and what was not compared.
func (r *Report) notes() []string {
	lines := append([]string(nil), r.Notes...)
	if len(r.OnlyOld) > 0 {
		lines = append(lines, fmt.Sprintf("only in the baseline, not compared: %s", strings.Join(r.OnlyOld, ", ")))
	}
	if len(r.OnlyNew) > 0 {
		lines = append(lines, fmt.Sprintf("only in the new run, not compared: %s", strings.Join(r.OnlyNew, ", ")))
	}
	return lines
}
