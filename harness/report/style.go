package report

import (
	"bytes"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The charts are laid out with Liberation Sans, whose metrics match Arial
// and Helvetica glyph for glyph, and the SVG names that stack with a
// generic fallback: a viewer without Liberation Sans draws the same widths
// in Arial or Helvetica, so legends and labels fit. (gonum's default,
// Liberation Serif alone, fell back to whatever serif a viewer had, and
// legends clipped.)
func init() {
	plot.DefaultFont = font.Font{Typeface: "Liberation", Variant: "Sans"}
	plotter.DefaultFont = plot.DefaultFont // copied from plot's at its init
}

// fontFamily is what the SVG's text asks for.
const fontFamily = `'Liberation Sans', Arial, Helvetica, sans-serif`

// withFontStack rewrites the single family vgsvg writes into fontFamily.
func withFontStack(svg []byte) []byte {
	return bytes.ReplaceAll(svg, []byte("font-family:Liberation Sans;"), []byte("font-family:"+fontFamily+";"))
}

// palette is twelve colours that stay apart from each other on white and
// for the common colour-vision deficiencies (Tableau 10, the grey
// darkened, then near-black and a bright cyan): a run of every codec and
// peer has eleven or twelve stacks, and with ten colours the eleventh
// (the floor) was drawn in the first's (gob's) blue.
var palette = []color.Color{
	rgb(0x4e79a7), rgb(0xf28e2b), rgb(0xe15759), rgb(0x76b7b2), rgb(0x59a14f),
	rgb(0xedc948), rgb(0xb07aa1), rgb(0xff9da7), rgb(0x9c755f), rgb(0x5f5a58),
	rgb(0x1b1b1b), rgb(0x17becf),
}

func rgb(v uint32) color.Color {
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 0xff}
}

// glyphs are ten markers that differ in shape, not only in colour, for
// readers and printers that lose the colour: gonum's eight and two more.
var glyphs = []draw.GlyphDrawer{
	draw.CircleGlyph{}, draw.SquareGlyph{}, draw.PyramidGlyph{}, diamondGlyph{fill: true}, draw.CrossGlyph{},
	draw.RingGlyph{}, draw.BoxGlyph{}, draw.TriangleGlyph{}, diamondGlyph{}, draw.PlusGlyph{},
}

// dashes vary the line of each series past the palette's ten.
var dashes = [][]vg.Length{nil, {vg.Points(6), vg.Points(2)}, {vg.Points(2), vg.Points(2)}, {vg.Points(6), vg.Points(2), vg.Points(2), vg.Points(2)}}

// seriesColor, seriesGlyph and seriesDashes are series i's style: twelve
// series get twelve colours, ten shapes and, past ten, another dash.
func seriesColor(i int) color.Color      { return palette[i%len(palette)] }
func seriesGlyph(i int) draw.GlyphDrawer { return glyphs[i%len(glyphs)] }
func seriesDashes(i int) []vg.Length     { return dashes[(i/len(glyphs))%len(dashes)] }
func seriesGlyphStyle(i int) draw.GlyphStyle {
	return draw.GlyphStyle{Color: seriesColor(i), Radius: vg.Points(3), Shape: seriesGlyph(i)}
}

// diamondGlyph is a square on its corner, filled or outlined.
type diamondGlyph struct{ fill bool }

func (g diamondGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	r := sty.Radius * 1.3
	var p vg.Path
	p.Move(vg.Point{X: pt.X, Y: pt.Y + r})
	p.Line(vg.Point{X: pt.X + r, Y: pt.Y})
	p.Line(vg.Point{X: pt.X, Y: pt.Y - r})
	p.Line(vg.Point{X: pt.X - r, Y: pt.Y})
	p.Close()
	if g.fill {
		c.SetColor(sty.Color)
		c.Fill(p)
		return
	}
	c.SetLineStyle(draw.LineStyle{Color: sty.Color, Width: vg.Points(0.5)})
	c.Stroke(p)
}

// A timeUnit is the unit a latency axis is drawn in.
type timeUnit struct {
	ns   float64
	name string
}

// latencyUnit is the unit in which the largest latency, maxNs, reads with
// at most three digits before the point: no "100000 µs" on an axis.
func latencyUnit(maxNs float64) timeUnit {
	units := []timeUnit{{1e9, "s"}, {1e6, "ms"}, {1e3, "µs"}, {1, "ns"}}
	for _, u := range units {
		if maxNs >= u.ns {
			return u
		}
	}
	return units[len(units)-1]
}

// compact formats a bar's value in three significant digits with k and M
// suffixes, so that labels stay as narrow as the bars: 229k, not 229014.
func compact(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1e6:
		return trim3(v/1e6) + "M"
	case a >= 1e4:
		return trim3(v/1e3) + "k"
	}
	return trim3(v)
}

func trim3(v float64) string {
	switch a := math.Abs(v); {
	case a >= 100:
		return fmtf(v, 0)
	case a >= 10:
		return fmtf(v, 1)
	}
	return fmtf(v, 2)
}

// fmtf formats v with at most places decimals, trailing zeros dropped.
func fmtf(v float64, places int) string {
	return strconv.FormatFloat(math.Round(v*math.Pow10(places))/math.Pow10(places), 'f', -1, 64)
}
