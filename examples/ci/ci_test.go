// Package ci holds the CI examples' test: scripts/ci-gate.sh, the script
// action.yml runs, used from a module that is not rpcbench.
package ci

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestTeamModuleGatesABOnOneMachine copies examples/ci/team into a
// scratch git repository (module example.com/team, rpcbench replaced by
// this checkout), makes two commits, and runs scripts/ci-gate.sh as
// action.yml does: A/B of the two commits' teambench, then a baseline
// gate with rpcbench built from the action's own tree.
func TestTeamModuleGatesABOnOneMachine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two commits of a scratch module and measures them; not with -short")
	}
	for _, tool := range []string{"git", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s: %v", tool, err)
		}
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	team := filepath.Join(tmp, "team")
	if err := os.CopyFS(team, os.DirFS("team")); err != nil {
		t.Fatal(err)
	}
	appendFile(t, filepath.Join(team, "go.mod"), "\nreplace github.com/rpcbench/rpcbench => "+root+"\n")
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(team, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
	git := []string{"GITHUB_STEP_SUMMARY=", "GIT_AUTHOR_NAME=team", "GIT_AUTHOR_EMAIL=team@example.com",
		"GIT_COMMITTER_NAME=team", "GIT_COMMITTER_EMAIL=team@example.com"}
	env := append(os.Environ(), git...)
	sh := func(dir string, args ...string) string {
		t.Helper()
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	// As a team does after go get: tidy, with the caller's own proxy
	// settings. The team's module graph needs go.mod files that building
	// rpcbench never downloads (ajstarks/svgo's go.mod predates graph
	// pruning, so its requirements' go.mod files are read too), so an
	// empty or rpcbench-only module cache must be filled here.
	sh(team, "go", "mod", "tidy")
	// Then offline and read-only, as CI builds a committed module: every
	// build below, at either commit, uses what tidy recorded.
	env = append(os.Environ(), append(git, "GOFLAGS=-mod=readonly", "GOPROXY=off")...)
	sh(team, "go", "build", "./...")
	sh(team, "git", "init", "-q")
	sh(team, "git", "add", "-A")
	sh(team, "git", "commit", "-qm", "teambench")
	base := sh(team, "git", "rev-parse", "--short", "HEAD")
	appendFile(t, filepath.Join(team, "teamjson", "teamjson.go"), "\n// A change under review.\n")
	sh(team, "git", "commit", "-qam", "a change")
	head := sh(team, "git", "rev-parse", "--short", "HEAD")

	summary := filepath.Join(tmp, "summary.md")
	runs := filepath.Join(tmp, "runs")
	gate := func(dir, codecs string, args ...string) (int, string) {
		cmd := exec.Command(filepath.Join(root, "scripts", "ci-gate.sh"), append(args,
			"--codecs", codecs, "--count", "4", "--summary", summary,
			"--matrix", "--payloads arith --concurrency 1 --duration 100ms --warmup 20ms")...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		switch {
		case err == nil:
			return 0, string(out)
		case errors.As(err, &exit):
			return exit.ExitCode(), string(out)
		}
		t.Fatalf("ci-gate.sh: %v\n%s", err, out)
		return 0, ""
	}

	// A/B: the same code twice, so nothing regressed, unless the machine
	// lurched mid-run (exit 1), which this test can't rule out: it checks
	// that the gate decided, raw, and wrote the summary verdict first.
	status, out := gate(team, "team-json,gob", "--base-ref", "HEAD~1", "--package", "./cmd/teambench", "--out", runs)
	if status != 0 && status != 1 {
		t.Fatalf("A/B: exit %d, want a decision (0 or 1):\n%s", status, out)
	}
	md := readLines(t, summary)
	want := []string{"## rpcbench gate: " + head + " against " + base + " (4 interleaved repetitions on this machine)", "", "**gate: "}
	for i, w := range want {
		if i >= len(md) || !strings.HasPrefix(md[i], w) {
			t.Fatalf("summary line %d: want %q, got:\n%s", i+1, w, strings.Join(md, "\n"))
		}
	}
	if !strings.Contains(strings.Join(md, "\n"), "time compared raw: same environment") {
		t.Errorf("A/B of two builds on one machine not compared raw:\n%s", strings.Join(md, "\n"))
	}
	if !strings.Contains(strings.Join(md, "\n"), "`RPC/codec=team-json/transport=tcp/payload=arith/conc=1`") {
		t.Errorf("the team's own codec was not gated:\n%s", strings.Join(md, "\n"))
	}

	// Baseline mode from a repository with no command of its own:
	// rpcbench is built from the script's tree, as the action ships it,
	// so it knows the built-in codecs only.
	other := filepath.Join(tmp, "other")
	os.Mkdir(other, 0o755)
	sh(other, "git", "init", "-q")
	os.Remove(summary)
	status, out = gate(other, "gob", "--baseline", filepath.Join(runs, "head"))
	if status != 0 && status != 1 {
		t.Fatalf("baseline: exit %d, want a decision:\n%s", status, out)
	}
	if md := readLines(t, summary); len(md) < 3 || !strings.HasPrefix(md[2], "**gate: ") {
		t.Errorf("baseline summary does not start with the verdict:\n%s", strings.Join(md, "\n"))
	}
}

func appendFile(t *testing.T, name, s string) {
	t.Helper()
	f, err := os.OpenFile(name, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

func readLines(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for s := bufio.NewScanner(bytes.NewReader(b)); s.Scan(); {
		lines = append(lines, s.Text())
	}
	return lines
}
