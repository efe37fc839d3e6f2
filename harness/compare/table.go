package compare

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
)

// A Table compares every input's values in one unit, benchmark by
// benchmark, against the first input's (the base).
type Table struct {
	Unit       string
	Assumption benchmath.Assumption
	Labels     []string // the inputs, the base first
	Rows       []*Row
	// Geomean summarises each input's column; see GeomeanCell.
	Geomean []*GeomeanCell
}

// A Row is one benchmark across the inputs.
type Row struct {
	Name  string
	Cells []*Cell // by input; nil where an input lacks the benchmark
}

// A Cell is one benchmark's sample from one input.
type Cell struct {
	Sample  *benchmath.Sample
	Summary benchmath.Summary
	// Compared reports whether Comparison holds the test against the
	// base input's cell: false in the base column and where the base
	// lacks the benchmark.
	Compared   bool
	Comparison benchmath.Comparison
}

// A GeomeanCell is the geometric mean of a column's centers and, beside
// the base, of its ratios to the base, as benchstat's last row has them.
type GeomeanCell struct {
	Center, Ratio       float64
	HasCenter, HasRatio bool
	Warnings            []error
}

// Options are the statistical settings; the zero value is benchstat's.
type Options struct {
	Alpha      float64 // significance level of the U test; 0 means 0.05
	Confidence float64 // of the median's interval; 0 means 0.95
}

func (o Options) thresholds() *benchmath.Thresholds {
	t := benchmath.DefaultThresholds
	if o.Alpha != 0 {
		t.CompareAlpha = o.Alpha
	}
	return &t
}

func (o Options) confidence() float64 {
	if o.Confidence == 0 {
		return 0.95
	}
	return o.Confidence
}

// A Comparison is the inputs' tables with the configuration they were
// measured under.
type Comparison struct {
	// Config lists the inputs' file configuration as "key: value" lines:
	// once where the inputs agree, with each input's label where not.
	Config []string
	Tables []*Table
}

// Compare compares files, one table per unit in order of first
// appearance. Units declared "assume=exact" in a file's unit metadata
// are summarised as exact, as benchstat does; all others make no
// distributional assumption (median and Mann-Whitney U test).
func Compare(files []*File, opts Options) *Comparison {
	units := make(benchfmt.UnitMetadataMap)
	labels := make([]string, len(files))
	for i, f := range files {
		labels[i] = f.Label
		for k, v := range f.Units {
			if _, ok := units[k]; !ok {
				units[k] = v
			}
		}
	}
	thresholds := opts.thresholds()
	var tables []*Table
	byUnit := make(map[string]*Table)
	rows := make(map[[2]string]*Row) // by unit and name
	for i, f := range files {
		for _, s := range f.Series() {
			t := byUnit[s.Unit]
			if t == nil {
				t = &Table{Unit: s.Unit, Assumption: units.GetAssumption(s.Unit), Labels: labels}
				byUnit[s.Unit] = t
				tables = append(tables, t)
			}
			row := rows[[2]string{s.Unit, s.Name}]
			if row == nil {
				row = &Row{Name: s.Name, Cells: make([]*Cell, len(files))}
				rows[[2]string{s.Unit, s.Name}] = row
				t.Rows = append(t.Rows, row)
			}
			values := append([]float64(nil), s.Values...) // NewSample sorts in place
			row.Cells[i] = &Cell{Sample: benchmath.NewSample(values, thresholds)}
		}
	}
	for _, t := range tables {
		for _, row := range t.Rows {
			base := row.Cells[0]
			for i, c := range row.Cells {
				if c == nil {
					continue
				}
				c.Summary = t.Assumption.Summary(c.Sample, opts.confidence())
				if i > 0 && base != nil {
					c.Compared = true
					c.Comparison = t.Assumption.Compare(base.Sample, c.Sample)
				}
			}
		}
		t.Geomean = geomeans(t)
	}
	return &Comparison{Config: config(files), Tables: tables}
}

// config lists the file configuration ("goos: linux") of each input's
// first result.
func config(files []*File) []string {
	var keys []string
	values := make(map[string][]string) // by key, by input
	for i, f := range files {
		if len(f.Results) == 0 {
			continue
		}
		for _, c := range f.Results[0].Config {
			if !c.File {
				continue
			}
			if values[c.Key] == nil {
				keys = append(keys, c.Key)
				values[c.Key] = make([]string, len(files))
			}
			values[c.Key][i] = string(c.Value)
		}
	}
	var lines []string
	for _, k := range keys {
		vs := values[k]
		if !slices.ContainsFunc(vs, func(v string) bool { return v != vs[0] }) {
			lines = append(lines, k+": "+vs[0])
			continue
		}
		var each []string
		for i, v := range vs {
			if v == "" {
				v = "-"
			}
			each = append(each, fmt.Sprintf("%s (%s)", v, files[i].Label))
		}
		lines = append(lines, k+": "+strings.Join(each, ", "))
	}
	return lines
}

// geomeans summarises each column as benchstat does: the geomean of the
// ratios (not the ratio of the geomeans), so that a column with a
// different set of benchmarks still gets a meaningful, if flagged, figure.
func geomeans(t *Table) []*GeomeanCell {
	nBase := 0
	for _, row := range t.Rows {
		if row.Cells[0] != nil {
			nBase++
		}
	}
	out := make([]*GeomeanCell, len(t.Labels))
	for col := range t.Labels {
		g := new(GeomeanCell)
		out[col] = g
		var centers, ratios []float64
		for _, row := range t.Rows {
			c := row.Cells[col]
			if c == nil {
				continue
			}
			centers = append(centers, c.Summary.Center)
			if c.Compared {
				base := row.Cells[0].Summary.Center
				switch {
				case c.Summary.Center == base:
					ratios = append(ratios, 1)
				case base != 0:
					ratios = append(ratios, c.Summary.Center/base)
				default:
					ratios = append(ratios, math.NaN())
				}
			}
		}
		if col > 0 && len(ratios) != nBase {
			g.Warnings = append(g.Warnings, fmt.Errorf("benchmark set differs from baseline; geomeans may not be comparable"))
		}
		if g.Center, g.HasCenter = geomean(centers); !g.HasCenter {
			g.Warnings = append(g.Warnings, fmt.Errorf("summaries must be >0 to compute geomean"))
		}
		if col > 0 {
			if g.Ratio, g.HasRatio = geomean(ratios); !g.HasRatio {
				g.Warnings = append(g.Warnings, fmt.Errorf("ratios must be >0 to compute geomean"))
			}
		}
	}
	return out
}

func geomean(xs []float64) (float64, bool) {
	if len(xs) == 0 {
		return 0, false
	}
	var sum float64
	for _, x := range xs {
		if !(x > 0) {
			return 0, false
		}
		sum += math.Log(x)
	}
	return math.Exp(sum / float64(len(xs))), true
}
