package hdrlog_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/rpcbench/rpcbench/harness/hdrlog"
)

// HdrHistogram's own JavaScript port reads the log: the tags, counts,
// interval start times and maxima rpcbench wrote. It needs node and
// hdr-histogram-js where node finds it (NODE_PATH); .ci/run installs both.
func TestHdrHistogramJSReadsTheLog(t *testing.T) {
	node, err := exec.LookPath("node")
	if err == nil {
		err = exec.Command(node, "-e", `require("hdr-histogram-js")`).Run()
	}
	if err != nil {
		if os.Getenv("CI") == "true" && os.Getenv("NODE_PATH") != "" {
			t.Fatalf("node with hdr-histogram-js: %v", err)
		}
		t.Skipf("needs node and hdr-histogram-js (npm install hdr-histogram-js; NODE_PATH=.../node_modules): %v", err)
	}
	var buf bytes.Buffer
	results := sample()
	if err := hdrlog.Write(&buf, results); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "run.hlog")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, "testdata/read.js", file).CombinedOutput()
	if err != nil {
		t.Fatalf("read.js: %v\n%s", err, out)
	}
	var tags map[string]struct {
		Count  int64
		Starts []int64
		Max    int64
	}
	if err := json.Unmarshal(out, &tags); err != nil {
		t.Fatalf("read.js printed %s: %v", out, err)
	}
	for _, r := range results {
		got := tags[r.Name]
		if got.Count != r.Calls || got.Max != r.Latency.Max() || len(got.Starts) != len(r.Intervals) {
			t.Errorf("%s: hdr-histogram-js read %d calls, max %d, %d intervals; wrote %d, %d, %d",
				r.Name, got.Count, got.Max, len(got.Starts), r.Calls, r.Latency.Max(), len(r.Intervals))
			continue
		}
		for i, iv := range r.Intervals {
			if got.Starts[i] != iv.Start.UnixMilli() {
				t.Errorf("%s interval %d: starts at %d ms; wrote %d", r.Name, i, got.Starts[i], iv.Start.UnixMilli())
			}
		}
	}
}
