package format

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rpcbench/rpcbench/measure"
)

// TableWidth is how many characters wide the text table may be unless
// Run.Wide asks for every column.
const TableWidth = 120

// A tableColumn is one column of the text and Markdown tables.
type tableColumn struct {
	head string
	// wide columns are left out of the text table unless Run.Wide: the
	// figures a first look can do without, in CSV and JSON anyway.
	wide bool
	// label columns say what a row measured (transport, payload, conc):
	// when every row has the same, a text table too wide says it once
	// above the table instead.
	label bool
	cells []string // by row
}

// figure is a metric column: its metric's unit, headed by the metric's
// name, and how a value of it prints.
type figure struct {
	unit   string
	wide   bool
	format func(float64) string
}

func figures() []figure {
	count := func(format string) func(float64) string {
		return func(v float64) string { return fmt.Sprintf(format, v) }
	}
	return []figure{
		{measure.UnitCallsPerSec, false, count("%.0f")},
		{measure.UnitP50, false, dur},
		{measure.UnitP90, true, dur},
		{measure.UnitP99, false, dur},
		{measure.UnitP999, true, dur},
		{measure.UnitMax, true, dur},
		{measure.UnitAllocsPerOp, false, count("%.1f")},
		{measure.UnitBytesPerOp, true, count("%.0f")},
		{measure.UnitCPUPerOp, false, dur},
		{measure.UnitWirePerOp, true, count("%.0f")},
	}
}

// head is the figure's column head: its metric's name.
func (f figure) head() string { return name(f.unit) }

// name is the unit table's name of the metric of unit: "p50".
func name(unit string) string {
	m, _ := measure.MetricOf(unit)
	return m.Name()
}

// tableColumns are the tables' columns for rows, every one of them. With
// marks, a row cut short by a signal has its stack marked *, a figure
// that broke a --fail-on threshold ✗, and with repetitions each figure
// carries its spread (±3%).
func tableColumns(run Run, rows []*Row, marks bool) []*tableColumn {
	col := func(head string, wide, label bool, cell func(*Row) string) *tableColumn {
		c := &tableColumn{head: head, wide: wide, label: label}
		for _, row := range rows {
			c.cells = append(c.cells, cell(row))
		}
		return c
	}
	mark := func(row *Row, unit, s string) string {
		if marks && slices.Contains(run.Broken[row.First.Name], unit) {
			return s + " ✗"
		}
		return s
	}
	cols := []*tableColumn{
		col("stack", false, false, func(row *Row) string {
			if marks && row.Interrupted {
				return StackLabel(row.First) + "*" // its window was cut short
			}
			return StackLabel(row.First)
		}),
		col("transport", false, true, func(row *Row) string { return TransportLabel(row.First) }),
		col("payload", false, true, func(row *Row) string { return row.First.Payload }),
		col("conc", false, true, func(row *Row) string { return Callers(row.First) }),
		col("calls", true, false, func(row *Row) string { return strconv.FormatInt(row.Calls, 10) }),
	}
	for _, f := range figures() {
		cols = append(cols, col(f.head(), f.wide, false, func(row *Row) string {
			// A row with no successful call has no latency, rate or
			// per-call cost to speak of.
			if !row.Succeeded() {
				return mark(row, f.unit, "-")
			}
			return mark(row, f.unit, f.cell(row, marks && row.Count > 1))
		}))
	}
	return append(cols,
		col(name(measure.UnitP50)+" ×floor", false, false, func(row *Row) string {
			return Ratio(row, Reference(rows, row, measure.FloorID().String()), measure.UnitP50)
		}),
		col(name(measure.UnitCallsPerSec)+" ×grpc", false, false, func(row *Row) string {
			return Ratio(row, Reference(rows, row, measure.GRPCID().String()), measure.UnitCallsPerSec)
		}),
		col(name(measure.UnitErrors), false, false, func(row *Row) string { return mark(row, measure.UnitErrors, strconv.FormatInt(row.Errors, 10)) }),
	)
}

// cell is the row's median of f, with its spread when spread is set: as a
// share of the median (±3%), or in f's unit where it exceeds the median
// itself (0.0 ±0.4 allocs/op), as a share of a near-zero median means
// nothing.
func (f figure) cell(row *Row, spread bool) string {
	med := row.Medians[f.unit]
	s := f.format(med)
	switch sp := row.Spreads[f.unit]; {
	case !spread || med == 0: // no share of nothing
	case sp > 1:
		s += " ±" + f.format(sp*med)
	default:
		s += fmt.Sprintf(" ±%.0f%%", 100*sp)
	}
	return s
}

// WideColumns are the heads of the columns the text table leaves out
// unless Run.Wide asks for them.
func WideColumns() []string {
	var heads []string
	for _, c := range tableColumns(Run{}, nil, false) {
		if c.wide {
			heads = append(heads, c.head)
		}
	}
	return heads
}

// fitText picks the text table's columns: all of them with run.Wide;
// otherwise without the wide ones, and, while it is wider than
// TableWidth, label columns whose value every row shares (said instead
// in the returned lines above the table) and then the figures a first
// look needs least. It returns the columns kept, the lines to print above
// the table, and the heads of the columns left out.
func fitText(run Run, cols []*tableColumn) (kept []*tableColumn, above, left []string) {
	if run.Wide {
		return cols, nil, nil
	}
	for _, c := range cols {
		if c.wide {
			left = append(left, c.head)
		} else {
			kept = append(kept, c)
		}
	}
	var shared []string
	for _, c := range slices.Clone(kept) {
		if width(kept) <= TableWidth {
			break
		}
		if c.label && len(c.cells) > 0 && !slices.ContainsFunc(c.cells, func(s string) bool { return s != c.cells[0] }) {
			shared = append(shared, c.head+" "+c.cells[0])
			kept = slices.DeleteFunc(kept, func(k *tableColumn) bool { return k == c })
		}
	}
	if len(shared) > 0 {
		above = append(above, "every row: "+strings.Join(shared, ", "))
	}
	for _, head := range []string{name(measure.UnitCPUPerOp), name(measure.UnitCallsPerSec) + " ×grpc", name(measure.UnitAllocsPerOp)} {
		if width(kept) <= TableWidth {
			break
		}
		kept = slices.DeleteFunc(kept, func(k *tableColumn) bool { return k.head == head })
		left = append(left, head)
	}
	return kept, above, left
}

// width is how wide the text table of cols prints: each column as wide as
// its widest cell, and two spaces before each.
func width(cols []*tableColumn) int {
	n := 0
	for _, c := range cols {
		w := utf8.RuneCountInString(c.head)
		for _, s := range c.cells {
			w = max(w, utf8.RuneCountInString(s))
		}
		n += w + 2
	}
	return n
}
