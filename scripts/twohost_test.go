// Package scripts holds the tests of the shell scripts beside it.
package scripts

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// needNetns skips the test where network namespaces cannot be made, and
// says why; with CI=true (.ci/run, as root) that is a failure instead.
func needNetns(t *testing.T) {
	t.Helper()
	cannot := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf("twohost.sh: "+format, args...)
		}
		t.Skipf("twohost.sh: "+format+" (set CI=true to make this a failure)", args...)
	}
	switch {
	case runtime.GOOS != "linux":
		cannot("network namespaces are Linux's; this is %s", runtime.GOOS)
	case os.Geteuid() != 0:
		cannot("needs root to make network namespaces; running as uid %d", os.Geteuid())
	}
	if _, err := exec.LookPath("ip"); err != nil {
		cannot("no ip command (install iproute2)")
	}
	probe := fmt.Sprintf("rpcbench-probe-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", probe).CombinedOutput(); err != nil {
		cannot("ip netns add fails here (a container without CAP_SYS_ADMIN?): %v: %s", err, out)
	}
	exec.Command("ip", "netns", "del", probe).Run()
	if testing.Short() {
		t.Skip("twohost.sh: builds rpcbench and measures for seconds; not with -short")
	}
}

// buildRPCBench builds the command once for the tests.
func buildRPCBench(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "rpcbench")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/rpcbench")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

var namespaces = regexp.MustCompile(`namespaces (\S+) \(server.*\) and (\S+) \(load\)`)

// leftovers returns the script's namespaces that still exist.
func leftovers(t *testing.T, names ...string) []string {
	t.Helper()
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, n := range names {
		if regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(n) + `\b`).Match(out) {
			left = append(left, n)
		}
	}
	return left
}

type result struct {
	Name    string `json:"name"`
	Calls   int64  `json:"calls"`
	Latency string `json:"latency"`
	P99     int64  `json:"p99_ns"`
}

func readResults(t *testing.T, file string) []result {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Results []result }
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return doc.Results
}

func TestTwoHostScriptMergesTwoLoadProcesses(t *testing.T) {
	needNetns(t)
	bin := buildRPCBench(t)
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "./twohost.sh")
	cmd.Env = append(os.Environ(), "RPCBENCH="+bin, "OUT="+out, "DURATION=1s")
	output, err := cmd.CombinedOutput()
	t.Logf("twohost.sh:\n%s", output)
	if err != nil {
		t.Fatalf("twohost.sh: %v", err)
	}
	m := namespaces.FindSubmatch(output)
	if m == nil {
		t.Fatal("twohost.sh did not say which namespaces it made")
	}
	if left := leftovers(t, string(m[1]), string(m[2])); len(left) > 0 {
		t.Errorf("namespaces left behind: %v", left)
	}
	if !strings.Contains(string(output), "merged: RPC/codec=msgpack") {
		t.Error("no merged row in the printed table")
	}
	merged := readResults(t, filepath.Join(out, "merged.json"))
	var sum int64
	for _, f := range []string{"load-0.json", "load-1.json"} {
		for _, r := range readResults(t, filepath.Join(out, f)) {
			sum += r.Calls
		}
	}
	if len(merged) != 1 || merged[0].Calls != sum || sum == 0 || merged[0].P99 == 0 {
		t.Fatalf("merged %+v; want one row of the load processes' %d calls", merged, sum)
	}
}

// Interrupted while its load processes wait for --start-at, the script
// still removes its namespaces.
func TestTwoHostScriptCleansUpWhenInterrupted(t *testing.T) {
	needNetns(t)
	bin := buildRPCBench(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "./twohost.sh")
	cmd.Env = append(os.Environ(), "RPCBENCH="+bin)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var ns []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		t.Log(sc.Text())
		if m := namespaces.FindStringSubmatch(sc.Text()); m != nil {
			ns = m[1:]
		}
		if strings.Contains(sc.Text(), "load processes measure") {
			cmd.Process.Signal(syscall.SIGINT)
			break
		}
	}
	for sc.Scan() {
		t.Log(sc.Text())
	}
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Errorf("twohost.sh exited with %v; want status 130 for SIGINT", err)
	}
	if ns == nil {
		t.Fatal("twohost.sh did not say which namespaces it made")
	}
	if left := leftovers(t, ns...); len(left) > 0 {
		t.Errorf("namespaces left behind after SIGINT: %v", left)
	}
}
