package attack_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// quickRun are the flags of a run that takes a fraction of a second.
var quickRun = []string{"run", "--codec", "msgpack", "--peers", "none", "--calls", "200", "--warmup", "0s", "--format", "json"}

// TestOutputsAreWrittenAsTheirPathsExpect points run -o, run --hdr-log
// and merge -o at a symbolic link, a FIFO and a character device, and
// run -o at /dev/full: the link and the special files stay what they
// were and get the output, and a run that cannot write its result still
// prints its table and exits non-zero.
func TestOutputsAreWrittenAsTheirPathsExpect(t *testing.T) {
	dir := t.TempDir()
	t.Run("run -o a symbolic link", func(t *testing.T) {
		link := filepath.Join(dir, "link.json")
		if err := os.Symlink("target.json", link); err != nil {
			t.Fatal(err)
		}
		runOK(t, append(quickRun, "-o", link)...)
		assertMode(t, link, os.ModeSymlink)
		if b, err := os.ReadFile(filepath.Join(dir, "target.json")); err != nil || !strings.Contains(string(b), `"results"`) {
			t.Errorf("the link's target holds %.60q, %v; want the JSON result", b, err)
		}
	})
	t.Run("merge -o and run --hdr-log into a FIFO", func(t *testing.T) {
		for _, cmd := range [][]string{
			{"merge", "--format", "json", filepath.Join(dir, "target.json"), "-o"},
			append(quickRun, "--hdr-log"),
		} {
			fifo := filepath.Join(dir, "fifo")
			os.Remove(fifo)
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Skipf("no FIFO: %v", err)
			}
			got := readFIFO(t, fifo)
			runOK(t, append(cmd, fifo)...)
			assertMode(t, fifo, os.ModeNamedPipe)
			if s := got(); len(s) == 0 {
				t.Errorf("%s: the FIFO's reader read nothing", strings.Join(cmd, " "))
			}
		}
	})
	t.Run("run -o a device", func(t *testing.T) {
		null := filepath.Join(dir, "null")
		if err := syscall.Mknod(null, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
			t.Skipf("cannot make a device node (root only): %v", err)
		}
		runOK(t, append(quickRun, "-o", null)...)
		assertMode(t, null, os.ModeDevice|os.ModeCharDevice)
	})
	t.Run("run -o /dev/full", func(t *testing.T) {
		out, stderr, err := runBin(t, "run", "--codec", "msgpack", "--peers", "none", "--calls", "200", "--warmup", "0s", "--format", "json", "-o", "/dev/full")
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() == 0 {
			t.Errorf("run -o /dev/full: %v, want a non-zero exit", err)
		}
		if !strings.Contains(out, "msgpack") || !strings.Contains(stderr, "no space left") {
			t.Errorf("run -o /dev/full printed\n%s\nand\n%s\nwant the table, and the write's error", out, stderr)
		}
	})
	t.Run("unwritable or far-off outputs are refused before the run", func(t *testing.T) {
		for _, flags := range [][]string{
			{"--hdr-log", filepath.Join(dir, "missing", "x.hlog")},
			{"-o", filepath.Join(dir, "missing", "x.json")},
			{"--start-at", time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)},
		} {
			began := time.Now()
			_, stderr, err := runBin(t, append([]string{"run", "--codec", "msgpack", "--peers", "none", "--duration", "20s"}, flags...)...)
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 2 || time.Since(began) > 10*time.Second {
				t.Errorf("run %s: %v after %v (%s); want exit status 2 before the run", strings.Join(flags, " "), err, time.Since(began).Round(time.Millisecond), strings.TrimSpace(stderr))
			}
		}
	})
}

// runBin runs rpcbench with args for at most a minute and returns its
// stdout and stderr.
func runBin(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	p := start(t, nil, args...)
	err := p.wait(t, time.Minute)
	return p.stdout.String(), p.stderr.String(), err
}

func runOK(t *testing.T, args ...string) {
	t.Helper()
	if _, stderr, err := runBin(t, args...); err != nil {
		t.Fatalf("rpcbench %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
}

// assertMode fails t unless path (not followed) has the type bits of want.
func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Type(); got != want {
		t.Errorf("%s is now %v, want it still %v", path, got, want)
	}
}

// readFIFO reads fifo to its end in a goroutine; the function it returns
// waits for what was read, at most a minute, and unblocks the reader if
// no writer ever came.
func readFIFO(t *testing.T, fifo string) func() string {
	got := make(chan string, 1)
	go func() {
		b, _ := os.ReadFile(fifo)
		got <- string(b)
	}()
	return func() string {
		select {
		case s := <-got:
			return s
		case <-time.After(5 * time.Second):
			// No writer came: be it, so that the reader ends.
			if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				w.Close()
			}
			return <-got
		}
	}
}
