package cli

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// TestGateNamesASlowedEncoder is DESIGN 10 end to end: a build whose
// msgpack encode path burns CPU (-tags gateslow) against a normal one,
// both measured with matrix --profile on this machine. The gate must
// fail and name the function that burns, under the regressed row.
func TestGateNamesASlowedEncoder(t *testing.T) {
	if testing.Short() {
		t.Skip("builds rpcbench twice and measures; not with -short")
	}
	dir := t.TempDir()
	build := func(out string, tags ...string) {
		args := append([]string{"build", "-o", out}, tags...)
		cmd := exec.Command("go", append(args, "./cmd/rpcbench")...)
		cmd.Dir = ".."
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %v: %v\n%s", tags, err, b)
		}
	}
	normal, slow := filepath.Join(dir, "rpcbench"), filepath.Join(dir, "rpcbench-gateslow")
	build(normal)
	build(slow, "-tags", "gateslow")
	matrix := func(bin, out string, env ...string) {
		cmd := exec.Command(bin, "matrix", "--codecs", "msgpack", "--peers", "floor", "--payloads", "bytes:1KiB",
			"--concurrency", "1", "--duration", "250ms", "--warmup", "50ms", "--count", "4", "--profile", "-o", out)
		cmd.Env = append(os.Environ(), env...)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", bin, err, b)
		}
	}
	base, cur := filepath.Join(dir, "base"), filepath.Join(dir, "slow")
	matrix(normal, base)
	// Each call encodes twice (request and reply): 2×40µs of burning on
	// top of a few tens of µs of real work.
	matrix(slow, cur, "RPCBENCH_GATESLOW=40us")

	var out bytes.Buffer
	cmd := exec.Command(normal, "gate", "--codec", "msgpack", "--units", "cpu-sec/op,allocs/op", "--baseline", base, cur)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("gate: %v, want exit 1:\n%s", err, out.String())
	}
	// The explanation follows the regressed row, before any other row.
	want := regexp.MustCompile(`(?m)cpu-sec/op .*REGRESSION.*\n    CPU per call that grew most .*\n(      \+.*\n)*      \+\S+  github.com/rpcbench/rpcbench/codecs/msgpack\.slowEncode\n(?s:.*)    go tool pprof -diff_base=`)
	t.Logf("gate printed:\n%s", out.String())
	if !want.MatchString(out.String()) {
		t.Errorf("the gate does not name msgpack.slowEncode under the regressed row:\n%s", out.String())
	}
}
