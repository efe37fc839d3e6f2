package measure

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

func TestCheckNamesTheBadFigure(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	good := func() *Result {
		r := &Result{Name: "RPC/x", Calls: 2, Latency: NewHistogram(), WindowStart: t0, WindowEnd: t0.Add(time.Second), Elapsed: time.Second}
		r.Latency.Record(time.Millisecond)
		r.Latency.Record(2 * time.Millisecond)
		return r
	}
	if err := Check(good()); err != nil {
		t.Fatalf("Check of an honest result: %v", err)
	}
	for _, tt := range []struct {
		name  string
		spoil func(r *Result)
		want  string
	}{
		{"no histogram", func(r *Result) { r.Latency = nil }, "no latency histogram"},
		{"negative errors", func(r *Result) { r.Errors = -1 }, "errors -1"},
		{"negative elapsed", func(r *Result) { r.Elapsed = -time.Second }, "elapsed_ns -1000000000"},
		{"NaN rate", func(r *Result) { r.Rate = math.NaN() }, "rate NaN"},
		{"infinite rate", func(r *Result) { r.Rate = math.Inf(1) }, "rate +Inf"},
		{"calls not in the histogram", func(r *Result) { r.Calls = 3 }, "calls 3 disagree with the latency histogram's 2 samples"},
		{"inverted window", func(r *Result) { r.WindowStart, r.WindowEnd = r.WindowEnd, r.WindowStart }, "window ends at 2026-12-01T00:00:00Z, before it starts"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := good()
			tt.spoil(r)
			if err := Check(r); err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "RPC/x: ") {
				t.Errorf("Check = %v; want an error naming RPC/x and %q", err, tt.want)
			}
		})
	}
}

// FuzzCheck decodes any JSON as a result and checks it: neither may
// panic.
func FuzzCheck(f *testing.F) {
	f.Add(`{"name":"RPC/x","calls":1,"latency":null}`)
	f.Add(`{"name":"RPC/x","calls":-1,"window_start":"2026-12-01T00:00:01Z","window_end":"2026-12-01T00:00:00Z"}`)
	f.Fuzz(func(t *testing.T, text string) {
		var r Result
		if json.Unmarshal([]byte(text), &r) == nil {
			Check(&r)
		}
	})
}
