package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/harness/format"
	"github.com/rpcbench/rpcbench/measure"
)

func TestMergeGolden(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"merge-text", []string{"merge", "merge/load-0.json", "merge/load-1.json"}},
		{"merge-bench", []string{"merge", "--format", "bench", "merge/load-0.json", "merge/load-1.json"}},
		{"merge-interval-log", []string{"merge", "merge/load-0.json", "merge/load-1.hlog"}},
		{"merge-truncated", []string{"merge", "merge/load-0.json", "merge/truncated.json"}},
		{"merge-foreign", []string{"merge", "merge/load-0.json", "merge/foreign.json"}},
		{"merge-other-settings", []string{"merge", "merge/load-0.json", "merge/other-settings.json"}},
		{"merge-missing", []string{"merge", "merge/load-0.json", "merge/missing.json"}},
		{"merge-no-files", []string{"merge"}},
		{"merge-same-twice", []string{"merge", "merge/load-0.json", "merge/load-0.json"}},
		{"merge-inverted-window", []string{"merge", "merge/load-0.json", "merge/inverted-window.json"}},
		{"merge-failed-calls", []string{"merge", "merge/load-0.json", "merge/failed-calls.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { golden(t, tt.name, tt.args...) })
	}
}

// The merged JSON's summaries are recomputed from the added histogram,
// and its calls and histogram count are the inputs' sums.
func TestMergeJSONRecomputesSummaries(t *testing.T) {
	var stdout, stderr bytes.Buffer
	t.Chdir("testdata")
	if err := run(context.Background(), &stdout, &stderr, []string{"merge", "--format", "json", "merge/load-0.json", "merge/load-1.json"}); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	var doc struct {
		Results []map[string]any `json:"results"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	back, err := format.ReadJSON(bytes.NewReader(stdout.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	inputs := map[string]int64{}
	for _, f := range []string{"merge/load-0.json", "merge/load-1.json"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		in, err := format.ReadJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range in.Results {
			inputs[r.Name] += r.Calls
		}
	}
	for i, r := range back.Results {
		if r.Calls != inputs[r.Name] || r.Latency.TotalCount() != inputs[r.Name] {
			t.Errorf("%s: %d calls, histogram total %d; want the inputs' sum %d", r.Name, r.Calls, r.Latency.TotalCount(), inputs[r.Name])
		}
		for _, m := range measure.Metrics() {
			if !m.OfCalls || m.Column == "" {
				continue // not summarised in JSON
			}
			if got, ok := doc.Results[i][m.Column].(float64); !ok || got != m.Value(r) || got == 0 {
				t.Errorf("%s: %s = %v; want the number %v", r.Name, m.Column, doc.Results[i][m.Column], m.Value(r))
			}
		}
	}
}

func TestStartAt(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		arg, wantErr string
		want         time.Time
	}{
		{"", "", time.Time{}},
		{"2026-11-30T12:00:05Z", "", now.Add(5 * time.Second)},
		{"2026-11-30T13:00:05+01:00", "", now.Add(5 * time.Second)},
		{"2026-11-30T11:59:58Z", "--start-at 2026-11-30T11:59:58Z is 2s in the past (now 2026-11-30T12:00:00Z)", time.Time{}},
		{"2026-11-30T12:00:00Z", "in the past", time.Time{}},
		{"12:00", `--start-at "12:00": want an RFC 3339 time such as 2026-11-30T12:01:00Z`, time.Time{}},
	}
	for _, tt := range tests {
		got, err := parseStartAt(tt.arg, now)
		switch {
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("parseStartAt(%q) error %v; want %q", tt.arg, err, tt.wantErr)
		case tt.wantErr == "" && (err != nil || !got.Equal(tt.want)):
			t.Errorf("parseStartAt(%q) = %v, %v; want %v", tt.arg, got, err, tt.want)
		}
	}
}

func TestStartAtInThePastIsAUsageError(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), &stdout, &stderr, []string{"run", "--codec", "gob", "--peers", "none", "--start-at", "2020-01-01T00:00:00Z"})
	if !errors.Is(err, errUsage) || !strings.Contains(stderr.String(), "--start-at 2020-01-01T00:00:00Z is") {
		t.Fatalf("error %v, stderr %q; want a usage error naming the time", err, stderr.String())
	}
}

// Waiting for --start-at ends with the context (SIGINT), not the clock.
func TestStartAtWaitObeysTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	at := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	err := run(ctx, &stdout, &stderr, []string{"run", "--codec", "gob", "--peers", "none", "--start-at", at})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "waiting for --start-at "+at) {
		t.Fatalf("error %v; want the wait cancelled", err)
	}
}

func TestMergeWide(t *testing.T) {
	golden(t, "merge-text-wide", "merge", "--wide", "merge/load-0.json", "merge/load-1.json")
}
