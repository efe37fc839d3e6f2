package report

import (
	"embed"
	"encoding/json"
	"html"
	"html/template"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/rpcbench/rpcbench/harness/format"
	"github.com/rpcbench/rpcbench/measure"
)

// The page's template, script and styles, written here and inlined into
// every report.html, so that it opens offline: no CDN, no library.
//
//go:embed html/report.html.tmpl html/report.js html/report.css
var htmlFiles embed.FS

var page = template.Must(template.ParseFS(htmlFiles, "html/report.html.tmpl"))

// An htmlRow is one configuration as the page's script draws it.
type htmlRow struct {
	Name       string             `json:"name"`
	Label      string             `json:"label"`
	Peer       bool               `json:"peer"`
	Dir        string             `json:"dir,omitempty"`
	Section    string             `json:"section"`
	Conditions string             `json:"conditions"`
	Transport  string             `json:"transport"`
	Callers    int                `json:"callers"`
	Pipeline   int                `json:"pipeline"`
	Rate       float64            `json:"rate,omitempty"`
	Count      int                `json:"count"`
	Medians    map[string]float64 `json:"medians"`
	// Curve is the latency at each twentieth of a nine ([nines, ns]),
	// over every repetition's calls.
	Curve [][2]float64 `json:"curve"`
	// Intervals are the first repetition's seconds: [second, p50, p99].
	Intervals [][3]float64 `json:"intervals,omitempty"`
	// Breakdown is CPU per call by category, in ns.
	Breakdown map[string]float64 `json:"breakdown,omitempty"`
	Late      int64              `json:"late,omitempty"`
	MaxLag    time.Duration      `json:"max_lag_ns,omitempty"`
	// SendLag holds the open-loop generator's send lag figures a result
	// carries in JSON (send_lag_p50_ns, send_lag_p99_ns, send_lag_max_ns,
	// DESIGN 11), read by name so that the page shows them whenever
	// results have them.
	SendLag map[string]float64 `json:"send_lag,omitempty"`
}

// sendLag picks r's send_lag_* figures out of its JSON.
func sendLag(r *measure.Result) map[string]float64 {
	b, err := json.Marshal(r)
	if err != nil {
		return nil
	}
	var fields map[string]any
	if json.Unmarshal(b, &fields) != nil {
		return nil
	}
	var lag map[string]float64
	for k, v := range fields {
		if f, ok := v.(float64); ok && strings.HasPrefix(k, "send_lag_") {
			if lag == nil {
				lag = make(map[string]float64)
			}
			lag[k] = f
		}
	}
	return lag
}

type htmlCell struct {
	Class string
	HTML  template.HTML
}

type htmlInput struct {
	Path, Command, Date, Go, CPU, Kernel string
	Procs                                int
}

// HTML writes the report as one self-contained page: the same tables
// (sortable), the latency percentile spectrum and latency over time per
// group, throughput against callers, where the CPU per call goes, the
// open-loop generator's lag, and "Which codec, which transport"; hovering
// shows a point's exact figure and benchmark name, and a toggle hides
// the peers. The same results give a byte-identical page.
func HTML(w io.Writer, command string, inputs []Input, opts ...Option) error {
	o := applyOptions(opts)
	var results []*measure.Result
	for _, in := range inputs {
		results = append(results, in.Run.Results...)
	}
	rows := withBreakdowns(o.breakdownSources(results), format.Rows(results))
	css, err := htmlFiles.ReadFile("html/report.css")
	if err != nil {
		return err
	}
	js, err := htmlFiles.ReadFile("html/report.js")
	if err != nil {
		return err
	}
	type which struct {
		Payload, Conditions string
		Cells               []htmlCell
	}
	var whichRows []which
	for _, ch := range choices(results, rows) {
		if len(ch.Picks) == 0 {
			continue // one format's libraries: REPORT.md says them
		}
		wr := which{Payload: ch.Payload, Conditions: ch.Conditions}
		for _, p := range ch.Picks {
			class := "nosig"
			if p.Significant {
				class = "sig"
			}
			s := p.Sentence(func(s string) string { return "\x00" + s + "\x01" })
			s = strings.NewReplacer("\x00", "<b>", "\x01", "</b>").Replace(html.EscapeString(s))
			wr.Cells = append(wr.Cells, htmlCell{class, template.HTML(s)})
		}
		whichRows = append(whichRows, wr)
	}
	var ins []htmlInput
	for _, in := range append(slices.Clip(inputs), o.breakdowns...) {
		e := in.Run.Env
		ins = append(ins, htmlInput{in.Path, strings.Join(e.Args, " "), e.Date.UTC().Format(time.RFC3339), e.GoVersion, e.CPU, e.Kernel, e.GOMAXPROCS})
	}
	data := struct {
		Categories []category `json:"categories"`
		Rows       []htmlRow  `json:"rows"`
	}{Categories: categoriesJSON(), Rows: htmlRows(results, rows)}
	return page.Execute(w, map[string]any{
		"CSS": template.CSS(css), "JS": template.JS(js), "Command": command,
		"Which": whichRows, "Criteria": criteriaNames(), "Inputs": ins, "Data": data,
	})
}

type category struct {
	Key   string `json:"key"`
	Label string `json:"label"`
}

func categoriesJSON() []category {
	out := make([]category, len(measure.Categories()))
	for i, c := range measure.Categories() {
		out[i] = category{c.Key, c.Label}
	}
	return out
}

func htmlRows(results []*measure.Result, rows []*format.Row) []htmlRow {
	var out []htmlRow
	for _, row := range rows {
		r := row.First
		section := "Payload " + r.Payload
		switch {
		case r.Workload != "":
			section = "Workload " + r.Workload + ", " + r.Payload
		case r.Net != "":
			// As in REPORT.md: rows off loopback have a section of their own.
			section = "Bad networks, " + r.Payload
		}
		id, _ := measure.ParseID(r.Stack)
		hr := htmlRow{
			Name: r.Name, Label: stackLabel(r.Stack), Peer: id.Kind == measure.KindPeer, Dir: r.Dir,
			Section: section, Conditions: groupOf(r).String(), Transport: format.TransportLabel(r),
			Callers: r.Concurrency, Pipeline: r.Pipeline, Rate: r.Rate, Count: row.Count,
			Medians: make(map[string]float64), Late: r.Late, MaxLag: r.MaxLag,
		}
		for unit, v := range row.Medians {
			if !math.IsNaN(v) && !math.IsInf(v, 0) { // JSON has neither
				hr.Medians[unit] = v
			}
		}
		if row.Succeeded() {
			hr.Curve = spectrum(merged(results, r.Name))
		}
		for _, iv := range r.Intervals {
			hr.Intervals = append(hr.Intervals, [3]float64{math.Round(iv.Start.Sub(r.WindowStart).Seconds()*10) / 10,
				float64(iv.Latency.Quantile(50)), float64(iv.Latency.Quantile(99))})
		}
		if b := r.Breakdown; b != nil {
			hr.Breakdown = b.PerCall
		}
		if r.Rate > 0 {
			hr.SendLag = sendLag(r)
		}
		out = append(out, hr)
	}
	return out
}
