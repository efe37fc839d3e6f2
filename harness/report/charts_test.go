package report_test

import (
	"fmt"
	"html"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/harness/report"
	"github.com/rpcbench/rpcbench/measure"
)

var tenStacks = []string{
	"codec=gob", "codec=json", "codec=msgpack", "codec=protobuf", "codec=thrift",
	"codec=thrift-compact", "peer=grpc", "peer=grpc-stream", "peer=thrift", "peer=floor",
}

// tenSeries is a closed-loop run of ten stacks at two concurrencies, the
// slowest of them with a tail of a tenth of a second, and costs whose bar
// labels would run into each other written in full.
func tenSeries() report.Input {
	var rs []*measure.Result
	for _, conc := range []int{1, 16} {
		for i, s := range tenStacks {
			r := result(s, conc, 0, time.Duration(20+10*i)*time.Microsecond)
			if i == 9 {
				for range 10 {
					r.Latency.Record(100 * time.Millisecond)
				}
			}
			r.Allocs = uint64(r.Calls) * uint64(229014+i)
			r.WireBytes = r.Calls * int64(1234567+i)
			rs = append(rs, r)
		}
	}
	return input("results/ten", rs...)
}

func charts(t *testing.T, inputs ...report.Input) map[string]string {
	t.Helper()
	r, err := report.New("rpcbench report", inputs, report.ChartDir)
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]string)
	for _, c := range r.Charts {
		out[c.Name] = string(c.SVG)
		if dir := os.Getenv("RPCBENCH_CHART_DIR"); dir != "" { // to look at them
			os.WriteFile(filepath.Join(dir, filepath.Base(c.Name)), c.SVG, 0o644)
		}
	}
	return out
}

func TestChartsNameAFontStackWithAGenericFallback(t *testing.T) {
	for name, svg := range charts(t, tenSeries(), openLoop(1000), openLoop(2000)) {
		families := regexp.MustCompile(`font-family:([^;"]*)`).FindAllStringSubmatch(svg, -1)
		if len(families) == 0 {
			t.Errorf("%s: no text with a font-family", name)
		}
		for _, f := range families {
			if f[1] != `'Liberation Sans', Arial, Helvetica, sans-serif` {
				t.Errorf("%s: font-family %q; want Liberation Sans with its metric twins and sans-serif", name, f[1])
				break
			}
		}
	}
}

// svgTexts are the text elements' contents.
func svgTexts(svg string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`(?s)<text[^>]*>([^<]*)</text>`).FindAllStringSubmatch(svg, -1) {
		out = append(out, html.UnescapeString(strings.TrimSpace(m[1])))
	}
	return out
}

func TestLatencyAxesSwitchUnits(t *testing.T) {
	got := charts(t, tenSeries())
	svg := got["charts/latency-bytes-1KiB-tcp-c1.svg"]
	texts := svgTexts(svg)
	if !slices.Contains(texts, "latency (ms, log scale)") {
		t.Errorf("a chart whose tail reaches 100ms is not drawn in ms: %q", texts)
	}
	for _, s := range texts {
		if v, err := strconv.ParseFloat(s, 64); err == nil && v >= 10000 {
			t.Errorf("tick label %s: a unit that needs five digits is the wrong unit", s)
		}
	}
	closed := charts(t, closedLoop())["charts/latency-bytes-1KiB-tcp-c1.svg"]
	if !slices.Contains(svgTexts(closed), "latency (µs, log scale)") {
		t.Errorf("a chart of 20-300µs is not drawn in µs: %q", svgTexts(closed))
	}
}

func TestTenSeriesGetTenColoursAndTenMarkers(t *testing.T) {
	svg := charts(t, tenSeries())["charts/throughput-bytes-1KiB-tcp.svg"]
	strokes := map[string]bool{}
	for _, m := range regexp.MustCompile(`stroke:(#[0-9a-fA-F]{6})`).FindAllStringSubmatch(svg, -1) {
		strokes[strings.ToLower(m[1])] = true
	}
	delete(strokes, "#000000")
	if len(strokes) < 10 {
		t.Errorf("%d line colours for ten stacks: %v", len(strokes), strokes)
	}
	for _, s := range tenStacks {
		label := strings.TrimPrefix(s, "codec=")
		if !slices.Contains(svgTexts(svg), label) {
			t.Errorf("legend lacks %s", label)
		}
	}
	if n := report.DistinctMarkers(10); n != 10 {
		t.Errorf("%d distinct markers for ten series; want 10", n)
	}
}

func TestBarLabelsDoNotCollide(t *testing.T) {
	svg := charts(t, tenSeries())["charts/cost-bytes-1KiB-tcp-c1.svg"]
	// Bars lie along the value axis, one row per stack: the labels of a
	// chart sit at ten heights, each at least a line of text apart.
	labels := regexp.MustCompile(`<text x="[^"]*" y="([^"]*)"[^>]*\n?[^>]*>(229k|1\.23M)</text>`).FindAllStringSubmatch(svg, -1)
	if len(labels) != 20 {
		t.Fatalf("%d bar labels of 229k or 1.23M; want 20 (ten bars in each of two charts)", len(labels))
	}
	for _, chart := range [][][]string{labels[:10], labels[10:]} {
		var ys []float64
		for _, l := range chart {
			y, _ := strconv.ParseFloat(l[1], 64)
			ys = append(ys, y)
		}
		slices.Sort(ys)
		for i := 1; i < len(ys); i++ {
			if ys[i]-ys[i-1] < 10 { // font-size 10px
				t.Errorf("bar labels %gpx apart: they collide (%v)", ys[i]-ys[i-1], ys)
			}
		}
	}
	if strings.Contains(svg, "229014") || strings.Contains(svg, "1234567") {
		t.Error("bar labels print values in full")
	}
}

func TestOpenLoopMarksRatesThatFellShort(t *testing.T) {
	for name, s := range charts(t, openLoop(1000), openLoop(2000)) {
		if slices.Contains(svgTexts(s), "achieved < offered rate") {
			t.Errorf("%s marks a shortfall where the rate was achieved", name)
		}
	}
	short := openLoop(4000)
	for _, r := range short.Run.Results {
		r.Elapsed = time.Duration(float64(r.Calls) / 2000 * float64(time.Second)) // achieved 2000 of 4000
	}
	var svg string
	for name, s := range charts(t, openLoop(1000), short) {
		if strings.HasPrefix(name, "charts/rate-") {
			svg = s
		}
	}
	if !slices.Contains(svgTexts(svg), "achieved < offered rate") {
		t.Errorf("no mark for the rate that fell short: %q", svgTexts(svg))
	}
}

var twelveStacks = append(slices.Clone(tenStacks), "peer=stdlib-gob", "peer=floor-mux")

// twelveSeries is tenSeries' twelve-stack cousin with a different cost
// per stack, so that a label on the wrong bar shows.
func twelveSeries() report.Input {
	var rs []*measure.Result
	for i, s := range twelveStacks {
		r := result(s, 1, 0, time.Duration(20+10*i)*time.Microsecond)
		r.Allocs = uint64(r.Calls) * uint64(3*i)
		r.WireBytes = r.Calls * int64(40+17*i)
		rs = append(rs, r)
	}
	return input("results/twelve", rs...)
}

// A svgText is a text element where it is drawn, in the coordinates
// paths use (the charts flip y: their text carries the negated y).
type svgText struct {
	x, y float64
	s    string
}

func svgTextsAt(svg string) []svgText {
	var out []svgText
	for _, m := range regexp.MustCompile(`(?s)<text x="([^"]*)" y="([^"]*)"[^>]*>([^<]*)</text>`).FindAllStringSubmatch(svg, -1) {
		x, _ := strconv.ParseFloat(m[1], 64)
		y, _ := strconv.ParseFloat(m[2], 64)
		out = append(out, svgText{x, -y, html.UnescapeString(strings.TrimSpace(m[3]))})
	}
	return out
}

// A bar is a filled rectangle: its right end and its height's middle.
type bar struct{ right, mid float64 }

func svgBars(svg, fill string) []bar {
	var out []bar
	num := `([-0-9.e]+)`
	re := regexp.MustCompile(`<path d="M` + num + `,` + num + `L` + num + `,` + num + `L` + num + `,` + num + `L` + num + `,` + num + `Z" style="fill:` + fill)
	for _, m := range re.FindAllStringSubmatch(svg, -1) {
		var xs, ys []float64
		for i := 1; i < len(m); i += 2 {
			x, _ := strconv.ParseFloat(m[i], 64)
			y, _ := strconv.ParseFloat(m[i+1], 64)
			xs, ys = append(xs, x), append(ys, y)
		}
		out = append(out, bar{slices.Max(xs), (slices.Min(ys) + slices.Max(ys)) / 2})
	}
	return out
}

func TestEachBarIsLabelledWithItsOwnValue(t *testing.T) {
	svg := charts(t, twelveSeries())["charts/cost-bytes-1KiB-tcp-c1.svg"]
	bars := svgBars(svg, "#4E79A7")
	if len(bars) != 2*len(twelveStacks) {
		t.Fatalf("%d bars; want %d (one per stack in each of two charts)", len(bars), 2*len(twelveStacks))
	}
	texts := svgTextsAt(svg)
	const half = 288 // the two charts share the 576pt width
	for i, s := range twelveStacks {
		name := strings.TrimPrefix(s, "codec=")
		for side, want := range []string{fmt.Sprint(3 * i), fmt.Sprint(40 + 17*i)} {
			inSide := func(x float64) bool { return (x >= half) == (side == 1) }
			// The stack's name, then the bar in its row, then the text
			// just right of the bar's end, in the same row.
			j := slices.IndexFunc(texts, func(tx svgText) bool { return tx.s == name && inSide(tx.x) })
			if j < 0 {
				t.Fatalf("no name %s on side %d", name, side)
			}
			row := texts[j].y
			k := slices.IndexFunc(bars, func(b bar) bool { return inSide(b.right) && math.Abs(b.mid-row) < 7 })
			if k < 0 {
				t.Errorf("%s: no bar in its row (y %g)", name, row)
				continue
			}
			b := bars[k]
			got := ""
			for _, tx := range texts {
				if math.Abs(tx.y-b.mid) < 7 && tx.x > b.right && tx.x-b.right < 8 {
					got = tx.s
				}
			}
			if got != want {
				t.Errorf("%s, chart %d: the label beside its bar says %q; want %q", name, side, got, want)
			}
		}
	}
}

func TestTwelveSeriesGetTwelveColours(t *testing.T) {
	svg := charts(t, twelveSeries())["charts/latency-bytes-1KiB-tcp-c1.svg"]
	strokes := map[string]bool{}
	for _, m := range regexp.MustCompile(`stroke:(#[0-9a-fA-F]{6});stroke-width:1.2`).FindAllStringSubmatch(svg, -1) {
		strokes[strings.ToLower(m[1])] = true
	}
	if len(strokes) != 12 {
		t.Errorf("%d line colours for twelve stacks: %v", len(strokes), strokes)
	}
	// And no two tick labels of the percentile axis share a place.
	var xs []float64
	for _, tx := range svgTextsAt(svg) {
		if strings.HasSuffix(tx.s, "%") {
			xs = append(xs, tx.x)
		}
	}
	slices.Sort(xs)
	for i := 1; i < len(xs); i++ {
		if xs[i]-xs[i-1] < 20 {
			t.Errorf("percentile labels %gpt apart: %v", xs[i]-xs[i-1], xs)
		}
	}
}
