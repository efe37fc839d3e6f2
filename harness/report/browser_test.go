package report_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	cdpinput "github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/rpcbench/rpcbench/harness/report"
	"github.com/rpcbench/rpcbench/measure"
)

// browser starts headless Chromium for the test, or skips it where there
// is none; in CI (CI=true) a missing Chromium fails the test instead. It
// returns the problems the page reports (console errors and warnings,
// uncaught exceptions, the browser's own log of a failed load) as they
// come.
func browser(t *testing.T) (context.Context, func() []string) {
	t.Helper()
	var path string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no chromium on PATH: CI must install Debian's chromium (.ci/run does)")
		}
		t.Skip("no chromium on PATH: apt-get install chromium to test report.html in a real browser")
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.WindowSize(1200, 900))...)
	ctx, cancel := chromedp.NewContext(actx)
	var mu sync.Mutex
	var problems []string
	done := make(chan struct{})
	messages := chromedp.Console(ctx)
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning || m.IsException() {
				mu.Lock()
				problems = append(problems, m.String())
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		chromedp.Cancel(ctx)
		cancel()
		cancelAlloc()
		<-done
	})
	return ctx, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(problems)
	}
}

// run runs action with a minute to do it in.
func run[T any](t *testing.T, ctx context.Context, action chromedp.Action[T]) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	v, err := chromedp.Run(tctx, action)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// browserFixture is a small matrix with what every chart needs: two
// concurrencies (throughput), per-second intervals (latency over time),
// breakdowns (where the CPU goes) and an open-loop row with send lag.
func browserFixture() []report.Input {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var rs []*measure.Result
	for _, conc := range []int{1, 16} {
		for i, s := range []string{"codec=msgpack", "codec=gob", "peer=grpc", "peer=floor"} {
			for rep := range 4 {
				r := result(s, conc, 0, time.Duration(20+15*i+rep)*time.Microsecond)
				r.WindowStart, r.WindowEnd = start, start.Add(3*time.Second)
				for sec := range 3 {
					h := measure.NewHistogram()
					h.Record(time.Duration(20+15*i+sec) * time.Microsecond)
					r.Intervals = append(r.Intervals, measure.Interval{Start: start.Add(time.Duration(sec) * time.Second), Latency: h})
				}
				r.Breakdown = &measure.Breakdown{Calls: 1000, CPU: 10 * time.Microsecond, Samples: 200,
					PerCall: map[string]float64{"encode": float64(500 * i), "syscall": 4000, "sched": 2000, "other": 300}}
				rs = append(rs, r)
			}
		}
	}
	open := result("codec=msgpack", 16, 5000, 40*time.Microsecond)
	open.Late, open.MaxLag = 12, 3*time.Millisecond
	return []report.Input{input("results/browser", rs...), input("results/open", open, result("peer=floor", 16, 5000, 25*time.Microsecond))}
}

func writeHTML(t *testing.T, inputs []report.Input) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "report.html")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := report.HTML(f, "rpcbench report --html report.html results/browser", inputs); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// A chartSummary is what the page drew in one chart.
type chartSummary struct {
	Title  string
	Series int
	Marks  int // paths, rects and circles in its series
}

func TestReportHTMLInABrowser(t *testing.T) {
	ctx, problems := browser(t)
	path := writeHTML(t, browserFixture())
	run(t, ctx, chromedp.Steps(chromedp.Navigate("file://"+path), chromedp.WaitVisible(chromedp.CSS("#sections h2"))))

	t.Run("every chart draws its series", func(t *testing.T) {
		charts := run(t, ctx, chromedp.Evaluate[[]chartSummary](`[...document.querySelectorAll("svg.chart")].map(s => ({
			Title: s.querySelector(".title").textContent,
			Series: s.querySelectorAll("g.series").length,
			Marks: s.querySelectorAll("g.series path, g.series rect, g.series circle").length}))`))
		want := map[string]int{ // title prefix: series
			"Latency percentile spectrum, Payload bytes:1KiB (tcp, 1 caller)":           4,
			"Latency percentile spectrum, Payload bytes:1KiB (tcp, 16 callers)":         4,
			"p99 latency over time, per second of the first repetition, Payload":        4,
			"Where the CPU per call goes, Payload bytes:1KiB (tcp, 1 caller)":           4,
			"Throughput against callers, Payload bytes:1KiB (tcp)":                      4,
			"Latency percentile spectrum, Payload bytes:1KiB (tcp, 16 callers, open lo": 2,
		}
		for prefix, series := range want {
			i := slices.IndexFunc(charts, func(c chartSummary) bool { return strings.HasPrefix(c.Title, prefix) })
			if i < 0 {
				t.Errorf("no chart %q among %+v", prefix, charts)
				continue
			}
			if c := charts[i]; c.Series != series || c.Marks < 2*series {
				t.Errorf("%s: %d series with %d paths, rects and circles; want %d series with their marks", c.Title, c.Series, c.Marks, series)
			}
		}
	})

	t.Run("sorting a table by p50 orders it", func(t *testing.T) {
		run(t, ctx, chromedp.Click(chromedp.CSS(`section table th[data-col="p50"]`)))
		cells := run(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelector("section table").querySelectorAll("tbody tr")].map(tr => tr.children[5].dataset.value)`))
		if len(cells) != 10 {
			t.Fatalf("%d rows in the first table; want 10", len(cells))
		}
		var vs []float64
		for _, c := range cells {
			v, err := strconv.ParseFloat(c, 64)
			if err != nil {
				t.Fatalf("p50 cell %q", c)
			}
			vs = append(vs, v)
		}
		if !slices.IsSorted(vs) {
			t.Errorf("p50 after a click on its heading: %v, not ascending", vs)
		}
	})

	t.Run("hovering a point shows its figure and benchmark name", func(t *testing.T) {
		type point struct {
			X, Y float64
			Tip  string
		}
		p := run(t, ctx, chromedp.Evaluate[point](`(() => { const c = document.querySelector("svg.chart g.series circle.point");
			c.scrollIntoView({block: "center"}); const b = c.getBoundingClientRect();
			return {X: b.x + b.width / 2, Y: b.y + b.height / 2, Tip: c.dataset.tip}; })()`))
		run(t, ctx, chromedp.MouseEvent(cdpinput.DispatchMouseEventTypeMouseMoved, p.X, p.Y))
		type tooltip struct {
			Text   string
			Hidden bool
		}
		tip := run(t, ctx, chromedp.Evaluate[tooltip](`({Text: document.getElementById("tip").textContent, Hidden: document.getElementById("tip").hidden})`))
		if tip.Hidden || tip.Text != p.Tip || !strings.HasPrefix(tip.Text, "RPC/codec=msgpack/transport=tcp/payload=bytes:1KiB/conc=1: p") || !strings.Contains(tip.Text, "µs") {
			t.Errorf("tooltip %+v; want the point's own %q: its benchmark name and figure", tip, p.Tip)
		}
	})

	t.Run("the peers' toggle hides them", func(t *testing.T) {
		run(t, ctx, chromedp.Click(chromedp.ID("hide-peers")))
		shown := run(t, ctx, chromedp.Evaluate[int](`[...document.querySelectorAll("section table tbody tr")].filter(tr => tr.offsetParent !== null).length`))
		// msgpack and gob at 1 and 16 callers, and msgpack in open loop
		// in the payload's table and again in the send lag's.
		if shown != 6 {
			t.Errorf("%d table rows shown with the peers hidden; want 6", shown)
		}
	})

	if p := problems(); len(p) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(p, "\n"))
	}
}

// TestScreenshotOfTheReport writes a screenshot of a part of the page at
// RPCBENCH_REPORT_HTML to RPCBENCH_SCREENSHOT: scripts/results.sh takes
// results/report.png this way.
func TestScreenshotOfTheReport(t *testing.T) {
	page, out := os.Getenv("RPCBENCH_REPORT_HTML"), os.Getenv("RPCBENCH_SCREENSHOT")
	if page == "" || out == "" {
		t.Skip("set RPCBENCH_REPORT_HTML and RPCBENCH_SCREENSHOT to take one")
	}
	ctx, _ := browser(t)
	abs, err := filepath.Abs(page)
	if err != nil {
		t.Fatal(err)
	}
	// The first section with a breakdown, from its heading: its sortable
	// table, percentile spectra, latency over time and where the CPU goes.
	run(t, ctx, chromedp.Steps(chromedp.EmulateViewport(1200, 2200), chromedp.Navigate("file://"+abs), chromedp.WaitVisible(chromedp.CSS("#sections h2")),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[chromedp.Void](`(document.querySelector("svg.bars") || document.querySelector("#sections h2")).closest("section").scrollIntoView()`)(ctx, t)
			return err
		})))
	png := run(t, ctx, chromedp.CaptureScreenshot())
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
}
