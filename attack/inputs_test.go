package attack_test

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDamagedInputsAreRefused gives merge, report, compare and gate
// results that no honest run writes, made from a real one: each must exit
// with status 2 and name the file. merge of a result with failed calls
// exits 1.
func TestDamagedInputsAreRefused(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	runOK(t, append(quickRun, "-o", good)...)
	bench := filepath.Join(dir, "good.txt")
	runOK(t, "run", "--codec", "msgpack", "--peers", "none", "--calls", "200", "--warmup", "0s", "--format", "bench", "-o", bench)
	var run map[string]any
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &run); err != nil {
		t.Fatal(err)
	}
	spoil := func(name string, change func(r map[string]any)) string {
		var c map[string]any
		b, _ := json.Marshal(run)
		json.Unmarshal(b, &c)
		change(c["results"].([]any)[0].(map[string]any))
		b, _ = json.Marshal(c)
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	benchLines, err := os.ReadFile(bench)
	if err != nil {
		t.Fatal(err)
	}
	// spoilBench writes the bench file with what pattern matches in each
	// result line (after its name) replaced by repl.
	spoilBench := func(name, pattern, repl string) string {
		path := filepath.Join(dir, name)
		re := regexp.MustCompile(`(?m)^(Benchmark\S*\s+)` + pattern)
		if err := os.WriteFile(path, re.ReplaceAll(benchLines, []byte("${1}"+repl)), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	inverted := spoil("inverted.json", func(r map[string]any) { r["window_start"], r["window_end"] = r["window_end"], r["window_start"] })
	moreCalls := spoil("more-calls.json", func(r map[string]any) { r["calls"] = r["calls"].(float64) + 1 })
	negative := spoil("negative.json", func(r map[string]any) { r["wire_bytes"] = -1 })
	nanBench := spoilBench("nan.txt", `(\d+\s+)\S+ ns/op`, "${2}NaN ns/op")
	zeroIters := spoilBench("zero.txt", `\d+`, "0")
	negBench := spoilBench("neg.txt", `(\d+\s+)\S+ ns/op`, "${2}-5 ns/op")
	truncated := filepath.Join(dir, "truncated.txt")
	os.WriteFile(truncated, benchLines[:strings.LastIndex(string(benchLines), " ns/op")], 0o644)
	reportDir := filepath.Join(dir, "report-in")
	os.Mkdir(reportDir, 0o755)
	os.Link(inverted, filepath.Join(reportDir, "results.json"))

	for _, tt := range []struct {
		args []string
		file string // named in the error
	}{
		{[]string{"merge", good, inverted}, inverted},
		{[]string{"merge", good, moreCalls}, moreCalls},
		{[]string{"merge", good, negative}, negative},
		{[]string{"merge", good, good}, good},
		{[]string{"report", "-o", filepath.Join(dir, "R.md"), reportDir}, reportDir},
		{[]string{"compare", bench, nanBench}, nanBench},
		{[]string{"compare", bench, truncated}, truncated},
		{[]string{"gate", "--baseline", zeroIters, bench}, zeroIters},
		{[]string{"gate", "--baseline", bench, negBench}, negBench},
	} {
		_, stderr, err := runBin(t, tt.args...)
		var exit *exec.ExitError
		code := 0
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		}
		if code == 0 || (code != 2 && tt.args[0] != "report") || !strings.Contains(stderr, tt.file) {
			t.Errorf("rpcbench %s: exit status %d, stderr %q; want 2 (report: non-zero), naming %s", strings.Join(tt.args, " "), code, strings.TrimSpace(stderr), tt.file)
		}
	}
	failed := spoil("failed.json", func(r map[string]any) { r["errors"] = 3; r["first_error"] = "reset" })
	if _, _, err := runBin(t, "merge", failed); err == nil {
		t.Errorf("merge of a result with failed calls exited 0, want 1")
	}
}
