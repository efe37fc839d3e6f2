package cli

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/harness"
	"github.com/rpcbench/rpcbench/measure"
	"github.com/rpcbench/rpcbench/stack"
	"github.com/rpcbench/rpcbench/transports"
)

func TestRatesParse(t *testing.T) {
	tests := []struct {
		in   string
		want []float64
		err  string
	}{
		{in: "5000", want: []float64{5000}},
		{in: "5000,10000,20000", want: []float64{5000, 10000, 20000}},
		{in: "1000:5000:step=1000", want: []float64{1000, 2000, 3000, 4000, 5000}},
		{in: "1000:4500:step=1000", want: []float64{1000, 2000, 3000, 4000}},
		{in: "0.5:1.5:step=0.5", want: []float64{0.5, 1, 1.5}},
		{in: "-5", err: `rate "-5": want a number of calls/s`},
		{in: "5000,,6000", err: `rate "": want a number`},
		{in: "1000:5000", err: "want a range FROM:TO:step=STEP"},
		{in: "1000:5000:step=0", err: `step "0": want a positive number`},
		{in: "5000:1000:step=1000", err: "want 0 < FROM <= TO"},
		{in: "1:1000000:step=1", err: "1000000 steps; at most 1000"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseRates(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v; want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

// fakeServer's p99 is 1ms up to its knee and grows fast past it; past
// saturation the generator can't offer the rate.
type fakeServer struct {
	knee, saturation float64
	probed           []float64
}

func (s *fakeServer) probe(_ context.Context, cfg harness.Config) (*measure.Result, error) {
	s.probed = append(s.probed, cfg.Rate)
	lat := time.Millisecond
	if cfg.Rate > s.knee {
		lat = time.Duration(float64(time.Millisecond) * (1 + 10*(cfg.Rate-s.knee)/s.knee))
	}
	achieved := min(cfg.Rate, s.saturation)
	return fakeResult(fmt.Sprintf("RPC/codec=gob/transport=tcp/payload=arith/conc=1/rate=%g", cfg.Rate), int64(achieved), 0, lat), nil
}

func TestFindMaxSearchesUpThenBisects(t *testing.T) {
	tests := []struct {
		name             string
		knee, saturation float64
		objective        string
		start            float64
		want             float64 // within 5% below the truth
		truth            float64
	}{
		{"latency knee", 12000, 1e9, "p99<2ms", 1000, 0, 13200}, // p99 2ms at knee×1.1
		{"generator saturates first", 1e9, 7000, "p99<2ms", 1000, 0, 7000 / 0.9},
		{"fails at the start", 100, 1e9, "p99<1.5ms", 1000, 0, 105},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &fakeServer{knee: tt.knee, saturation: tt.saturation}
			var obj objective
			if err := obj.Set(tt.objective); err != nil {
				t.Fatal(err)
			}
			got, probes, err := harness.FindMax(context.Background(), harness.Config{}, tt.start, obj.t.misses, s.probe)
			if err != nil {
				t.Fatal(err)
			}
			if got.Rate > tt.truth || got.Rate < 0.95*tt.truth*0.95 {
				t.Errorf("found %g after probing %v; want within 5%% below %g", got.Rate, s.probed, tt.truth)
			}
			if len(probes) != len(s.probed) || len(probes) > 30 {
				t.Errorf("%d probes returned, %d made; want every one, at most 30 (harness.FindMax's bound)", len(probes), len(s.probed))
			}
			// It steps up by doubling before it bisects.
			if s.probed[0] != tt.start || (len(s.probed) > 1 && s.probed[1] != 2*tt.start && s.probed[1] > tt.start) {
				t.Errorf("probed %v; want %g, then %g when it held", s.probed, tt.start, 2*tt.start)
			}
		})
	}
}

func TestObjectiveRefusesWhatIsNotAnObjective(t *testing.T) {
	for _, in := range []string{"codec=gob:p99<2ms", "errors=0", "calls/s>5", "p99"} {
		var o objective
		if err := o.Set(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

// The real command: one row per rate, and a find-max verdict after the
// table, over loopback with tiny windows.
func TestRunLoadShapesEndToEnd(t *testing.T) {
	base := []string{"run", "--codec", "gob", "--peers", "none", "--warmup", "0", "--concurrency", "4", "--conns", "1", "--payload", "arith"}
	t.Run("rate list", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), &stdout, &stderr, append(base, "--rate", "100:300:step=100", "--calls", "20", "--format", "csv")); err != nil {
			t.Fatalf("%v\n%s", err, &stderr)
		}
		lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
		if len(lines) != 4 {
			t.Fatalf("%d lines; want a header and three rows:\n%s", len(lines), &stdout)
		}
		for i, rate := range []string{"100", "200", "300"} {
			if !strings.Contains(lines[i+1], "/rate="+rate+",") {
				t.Errorf("row %d: %q; want rate=%s", i, lines[i+1], rate)
			}
		}
	})
	t.Run("find-max", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), &stdout, &stderr, append(base, "--find-max", "p99<1h", "--rate", "500", "--duration", "30ms")); err != nil {
			t.Fatalf("%v\n%s", err, &stderr)
		}
		m := regexp.MustCompile(`find-max: RPC/codec=gob/transport=tcp/payload=arith/conc=4/conns=1: (\d+) calls/s is the highest rate that held p99<1h \(p99 was .*; (\d+) probes`).FindStringSubmatch(stdout.String())
		if m == nil {
			t.Fatalf("no verdict in:\n%s", &stdout)
		}
		if rows := strings.Count(stdout.String(), "\n    gob "); fmt.Sprint(rows) != m[2] {
			t.Errorf("%d rows for %s probes:\n%s", rows, m[2], &stdout)
		}
	})
}

// A search in which no rate held the objective fails as a broken
// threshold does (exit 99), with its verdict printed.
func TestFindMaxThatFindsNothingExits99(t *testing.T) {
	s := &shapeFlags{}
	if err := s.findMax.Set("p99<1ms"); err != nil {
		t.Fatal(err)
	}
	srv := &fakeServer{knee: 1, saturation: 1e9}
	probe := func(ctx context.Context, _ int, cfg harness.Config) (*measure.Result, error) {
		return srv.probe(ctx, cfg)
	}
	tcp, _ := transports.Lookup("tcp")
	cfg := harness.Config{Stack: stack.FloorMux{}, Transport: tcp, Concurrency: 1}
	_, err := s.searchAll(context.Background(), []harness.Config{cfg}, probe)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if code := exitCode(s.report(&out, verdict{}), &out); code != 99 || !strings.Contains(out.String(), "no rate held p99<1ms") {
		t.Errorf("exit %d, want 99, with the verdict:\n%s", code, out.String())
	}
}
