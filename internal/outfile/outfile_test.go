package outfile

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// write creates path, writes s, and commits it.
func write(t *testing.T, path, s string) error {
	t.Helper()
	f, err := Create(path, nil)
	if err != nil {
		return err
	}
	defer f.Discard()
	if _, err := io.WriteString(f, s); err != nil {
		return err
	}
	return f.Commit()
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// leftovers fails t if dir holds a temporary file of this package.
func leftovers(t *testing.T, dir string) {
	t.Helper()
	tmps, _ := filepath.Glob(filepath.Join(dir, ".*"+tmpInfix+"*"))
	if len(tmps) > 0 {
		t.Errorf("temporary files left behind: %v", tmps)
	}
}

func TestARegularFileIsReplacedWhole(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := write(t, path, "new file"); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := write(t, path, "replaced"); err != nil {
		t.Fatal(err)
	}
	if got := read(t, path); got != "replaced" {
		t.Errorf("%s holds %q, want replaced", path, got)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("the replaced file has mode %v, want its old 0600", fi.Mode().Perm())
	}
	leftovers(t, dir)
}

func TestASymlinkIsFollowedNotReplaced(t *testing.T) {
	dir := t.TempDir()
	target, link := filepath.Join(dir, "target.txt"), filepath.Join(dir, "link.txt")
	if err := os.Symlink("target.txt", link); err != nil {
		t.Fatal(err)
	}
	if err := write(t, link, "through a dangling link"); err != nil {
		t.Fatal(err)
	}
	if err := write(t, link, "through the link"); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v, %v", fi.Mode(), err)
	}
	if got := read(t, target); got != "through the link" {
		t.Errorf("the link's target holds %q", got)
	}
	leftovers(t, dir)
}

func TestDevicesAreWrittenNotReplaced(t *testing.T) {
	if err := write(t, "/dev/null", "nothing"); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat("/dev/null"); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("/dev/null is no longer a device: %v, %v", fi.Mode(), err)
	}
	err := write(t, "/dev/full", "no room")
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("writing /dev/full: %v, want ENOSPC", err)
	}
	leftovers(t, "/dev")
}

func TestAFIFOIsWrittenDirectly(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	got := make(chan string, 1)
	go func() {
		b, _ := os.ReadFile(fifo) // opening waits for the writer
		got <- string(b)
	}()
	if err := write(t, fifo, "through the FIFO"); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "through the FIFO" {
		t.Errorf("the FIFO's reader read %q", s)
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v, %v", fi.Mode(), err)
	}
	leftovers(t, dir)
}

func TestStdoutIsWrittenDirectly(t *testing.T) {
	for _, path := range []string{"-", "/dev/stdout"} {
		var out bytes.Buffer
		f, err := Create(path, &out)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(f, "to stdout")
		if err := f.Commit(); err != nil || out.String() != "to stdout" {
			t.Errorf("-o %s: wrote %q, %v; want it on stdout", path, out.String(), err)
		}
	}
}

func TestUnwritablePathsFailAtCreate(t *testing.T) {
	dir := t.TempDir()
	for _, path := range []string{dir, filepath.Join(dir, "missing", "out.txt")} {
		if f, err := Create(path, nil); err == nil {
			f.Discard()
			t.Errorf("Create(%s) succeeded", path)
		}
	}
}

func TestStaleTemporaryFilesAreRemoved(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	// A process that has ended: one this test started and waited for.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip(err)
	}
	dead := filepath.Join(dir, ".out.txt"+tmpInfix+strconv.Itoa(cmd.ProcessState.Pid())+"-123.tmp")
	mine := filepath.Join(dir, ".out.txt"+tmpInfix+strconv.Itoa(os.Getpid())+"-456.tmp")
	for _, f := range []string{dead, mine} {
		if err := os.WriteFile(f, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := write(t, path, "whole"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dead); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a killed run's temporary file is still there: %v", err)
	}
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("a live process's temporary file was removed: %v", err)
	}
}

// TestAFullDiskKeepsTheOldFile writes more than a tiny tmpfs holds over a
// file in it: the write fails, the old file is whole, and no temporary
// file is left. It mounts the tmpfs, so it needs root.
func TestAFullDiskKeepsTheOldFile(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64k"); err != nil {
		t.Skipf("cannot mount a tmpfs (root only): %v", err)
	}
	defer syscall.Unmount(dir, 0)
	path := filepath.Join(dir, "out.txt")
	if err := write(t, path, "old"); err != nil {
		t.Fatal(err)
	}
	err := write(t, path, string(make([]byte, 1<<20)))
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("writing 1 MiB to a 64 KiB tmpfs: %v, want ENOSPC", err)
	}
	if got := read(t, path); got != "old" {
		t.Errorf("%s holds %q after the failed write, want old", path, got)
	}
	leftovers(t, dir)
}

// FuzzFollow follows random link targets: it must end (never loop) and
// never panic.
func FuzzFollow(f *testing.F) {
	f.Add("target")
	f.Add("../x")
	f.Add("link")
	f.Fuzz(func(t *testing.T, to string) {
		if to == "" || bytes.ContainsRune([]byte(to), 0) {
			return
		}
		dir := t.TempDir()
		link := filepath.Join(dir, "link")
		if err := os.Symlink(to, link); err != nil {
			return
		}
		follow(link)
	})
}
