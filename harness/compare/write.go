package compare

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"golang.org/x/perf/benchunit"
)

// Text writes c as benchstat's text tables: per benchmark, each input's
// median ± its confidence interval, and beside every input after the
// first the change from the first, or "~" where the U test finds none
// (with the p-value and sample sizes). Warnings are footnotes.
func (c *Comparison) Text(w io.Writer) error {
	for _, l := range c.Config {
		fmt.Fprintln(w, l)
	}
	for _, t := range c.Tables {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		var notes Footnotes
		fmt.Fprintln(tw, strings.Join(t.header("", "vs base"), "\t"))
		for _, cells := range t.cells(&notes, false) {
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if err := notes.Write(w, ""); err != nil {
			return err
		}
	}
	return nil
}

// Markdown writes the text tables as Markdown tables, for a pull
// request comment or a CI summary.
func (c *Comparison) Markdown(w io.Writer) error {
	for _, l := range c.Config {
		fmt.Fprintf(w, "%s  \n", l)
	}
	for _, t := range c.Tables {
		fmt.Fprintln(w)
		var notes Footnotes
		header := t.header("benchmark", "vs base")
		fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(header, " | "), strings.Repeat("---|", len(header)))
		for _, cells := range t.cells(&notes, true) {
			fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
		}
		if len(notes.msgs) > 0 {
			// A line right after a table would be read as one more row.
			fmt.Fprintln(w)
		}
		if err := notes.Write(w, "  "); err != nil {
			return err
		}
	}
	return nil
}

// header is the table's first line: the unit over the benchmark names
// (or first, if given), then each input and its comparison column.
func (t *Table) header(first, vs string) []string {
	h := []string{t.Unit}
	if first != "" {
		h = []string{first + " (" + t.Unit + ")"}
	}
	for i, l := range t.Labels {
		h = append(h, l)
		if i > 0 {
			h = append(h, vs)
		}
	}
	return h
}

// cells formats the table's rows and, if it has more than one, the
// geomean row, adding warnings to notes.
func (t *Table) cells(notes *Footnotes, markdown bool) [][]string {
	class := benchunit.ClassOf(t.Unit)
	var out [][]string
	for _, row := range t.Rows {
		var centers []float64
		for _, c := range row.Cells {
			if c != nil {
				centers = append(centers, c.Summary.Center)
			}
		}
		scale := benchunit.CommonScale(centers, class)
		name := row.Name
		if markdown {
			name = "`" + name + "`"
		}
		cells := []string{name}
		for i, c := range row.Cells {
			if c == nil {
				cells = append(cells, "")
				if i > 0 {
					cells = append(cells, "")
				}
				continue
			}
			cells = append(cells, scale.Format(c.Summary.Center)+" ± "+c.Summary.PctRangeString()+notes.Mark(c.Sample.Warnings, c.Summary.Warnings))
			if i > 0 {
				d := ""
				if c.Compared {
					d = c.Comparison.FormatDelta(row.Cells[0].Summary.Center, c.Summary.Center) + " (" + c.Comparison.String() + ")" + notes.Mark(c.Comparison.Warnings)
				}
				cells = append(cells, d)
			}
		}
		out = append(out, cells)
	}
	if len(t.Rows) < 2 {
		return out
	}
	cells := []string{"geomean"}
	for i, g := range t.Geomean {
		center := ""
		if g.HasCenter {
			center = benchunit.Scale(g.Center, class)
		}
		if i == 0 {
			cells = append(cells, center+notes.Mark(g.Warnings))
			continue
		}
		ratio := "?"
		if g.HasRatio {
			ratio = fmt.Sprintf("%+.2f%%", (g.Ratio-1)*100)
		}
		cells = append(cells, center, ratio+notes.Mark(g.Warnings))
	}
	return append(out, cells)
}

// CSV writes every table as rows of one CSV document: benchmark, unit,
// then per input its median and interval and, after the first, the change
// and the test; the last column holds the row's warnings, so that
// nothing is lost to a spreadsheet.
func (c *Comparison) CSV(w io.Writer) error {
	o := csv.NewWriter(w)
	if len(c.Tables) > 0 {
		h := []string{"benchmark", "unit"}
		for i, l := range c.Tables[0].Labels {
			h = append(h, l, l+" CI")
			if i > 0 {
				h = append(h, l+" vs base", l+" P")
			}
		}
		o.Write(append(h, "warnings"))
	}
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	for _, t := range c.Tables {
		for _, row := range t.Rows {
			rec := []string{row.Name, t.Unit}
			var warnings []string
			for i, c := range row.Cells {
				if c == nil {
					rec = append(rec, "", "")
					if i > 0 {
						rec = append(rec, "", "")
					}
					continue
				}
				rec = append(rec, g(c.Summary.Center), c.Summary.PctRangeString())
				warnings = appendErrors(warnings, t.Labels[i], c.Sample.Warnings, c.Summary.Warnings)
				if i > 0 {
					if c.Compared {
						rec = append(rec, c.Comparison.FormatDelta(row.Cells[0].Summary.Center, c.Summary.Center), c.Comparison.String())
						warnings = appendErrors(warnings, t.Labels[i], c.Comparison.Warnings)
					} else {
						rec = append(rec, "", "")
					}
				}
			}
			o.Write(append(rec, strings.Join(warnings, "; ")))
		}
	}
	o.Flush()
	return o.Error()
}

func appendErrors(out []string, label string, errs ...[]error) []string {
	for _, es := range errs {
		for _, e := range es {
			out = append(out, label+": "+e.Error())
		}
	}
	return out
}

// Footnotes numbers warnings as benchstat does: each distinct message
// once, marked with a superscript number where it applies.
type Footnotes struct{ msgs []string }

// Mark adds errs and returns their markers (" ¹ ²"), or "" for none.
func (n *Footnotes) Mark(errs ...[]error) string {
	var b strings.Builder
	for _, es := range errs {
		for _, e := range es {
			i := len(n.msgs)
			for j, m := range n.msgs {
				if m == e.Error() {
					i = j
				}
			}
			if i == len(n.msgs) {
				n.msgs = append(n.msgs, e.Error())
			}
			b.WriteString(" " + superscript(i+1))
		}
	}
	return b.String()
}

// Write writes the numbered messages, each line ending in eol (Markdown
// needs a hard line break).
func (n *Footnotes) Write(w io.Writer, eol string) error {
	for i, m := range n.msgs {
		if _, err := fmt.Fprintf(w, "%s %s%s\n", superscript(i+1), m, eol); err != nil {
			return err
		}
	}
	return nil
}

func superscript(i int) string {
	const digits = "⁰¹²³⁴⁵⁶⁷⁸⁹"
	digit := []rune(digits)
	var out []rune
	for ; i > 0; i /= 10 {
		out = append([]rune{digit[i%10]}, out...)
	}
	return string(out)
}
