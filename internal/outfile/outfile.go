// Package outfile writes an output file the way a user expects of the
// path they gave (DESIGN 13): a regular file, or a new path, is written
// whole, to a temporary file in the same folder renamed into place, and
// removed on any failure; a device, a FIFO or standard output ("-",
// /dev/stdout) is written directly; a symbolic link is followed, never
// replaced. Create checks the path before the work that makes the output,
// so that a run does not measure for nothing.
package outfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// IsStdout reports whether path names standard output.
func IsStdout(path string) bool { return path == "-" || path == "/dev/stdout" }

// A File is an output being written: Write to it, then Commit it, or
// Discard it. Discard after Commit does nothing, so that a deferred
// Discard cleans up every failure path.
type File struct {
	name   string   // the path, followed through symbolic links
	tmp    *os.File // a regular file's temporary file beside name; nil otherwise
	direct io.Writer
	buf    bytes.Buffer // a device's or FIFO's bytes, written at Commit
	device bool
}

// tmpInfix marks the temporary files of this package, named
// .BASE.rpcbench-PID-RANDOM.tmp, so that those a killed process left are
// recognised and removed by the next Create of the same path.
const tmpInfix = ".rpcbench-"

// Create checks that path can be written and prepares it: for a regular
// file or a new path, it makes the temporary file (so that a missing or
// read-only folder fails now); for a device or FIFO it checks that it is
// writable, and writes at Commit; for standard output, stdout is written
// directly.
func Create(path string, stdout io.Writer) (*File, error) {
	if IsStdout(path) {
		return &File{name: path, direct: stdout}, nil
	}
	name, err := follow(path)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(name)
	switch {
	case err == nil && fi.IsDir():
		return nil, fmt.Errorf("%s is a directory", path)
	case err == nil && !fi.Mode().IsRegular():
		if err := unix.Access(name, unix.W_OK); err != nil {
			return nil, fmt.Errorf("cannot write there: %w", err)
		}
		return &File{name: name, device: true}, nil
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return nil, err
	}
	mode := os.FileMode(0o644)
	if fi != nil {
		mode = fi.Mode().Perm() // replacing a file keeps its permissions
	}
	dir, base := filepath.Split(name)
	removeStale(dir, base)
	tmp, err := os.CreateTemp(dir, "."+base+tmpInfix+strconv.Itoa(os.Getpid())+"-*.tmp")
	if pe := (*os.PathError)(nil); errors.As(err, &pe) {
		// The folder's fault, not the temporary file's, whose name
		// means nothing to the user.
		return nil, fmt.Errorf("cannot write there: %s: %w", filepath.Clean(dir), pe.Err)
	} else if err != nil {
		return nil, fmt.Errorf("cannot write there: %w", err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, err
	}
	return &File{name: name, tmp: tmp}, nil
}

// maxLinks is how many symbolic links follow goes through, as the kernel
// (ELOOP past 40).
const maxLinks = 40

// follow returns path with its symbolic links followed, down to a file
// that exists or to the path a dangling link points at.
func follow(path string) (string, error) {
	for range maxLinks {
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			return path, nil
		}
		to, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(to) {
			to = filepath.Join(filepath.Dir(path), to)
		}
		path = to
	}
	return "", fmt.Errorf("%s: %w", path, syscall.ELOOP)
}

// removeStale removes the temporary files for base in dir that processes
// no longer running left behind.
func removeStale(dir, base string) {
	prefix := "." + base + tmpInfix
	matches, _ := filepath.Glob(filepath.Join(dir, glob(prefix)+"*.tmp"))
	for _, m := range matches {
		pid, _, _ := strings.Cut(strings.TrimPrefix(filepath.Base(m), prefix), "-")
		n, err := strconv.Atoi(pid)
		if err == nil && n != os.Getpid() && errors.Is(syscall.Kill(n, 0), syscall.ESRCH) {
			os.Remove(m)
		}
	}
}

// glob escapes the pattern characters in s.
func glob(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (f *File) Write(p []byte) (int, error) {
	switch {
	case f.direct != nil:
		return f.direct.Write(p)
	case f.tmp != nil:
		return f.tmp.Write(p)
	}
	return f.buf.Write(p)
}

// Name is the path written, with symbolic links followed.
func (f *File) Name() string { return f.name }

// Commit finishes the file: a regular file is synced and renamed into
// place, a device or FIFO gets what was written (opening a FIFO waits for
// its reader). On an error, the path keeps what it held before (a
// regular file) and the temporary file is gone.
func (f *File) Commit() error {
	switch {
	case f.tmp != nil:
		tmp := f.tmp
		f.tmp = nil
		err := tmp.Sync()
		if err2 := tmp.Close(); err == nil {
			err = err2
		}
		if err == nil {
			err = os.Rename(tmp.Name(), f.name)
		}
		if err != nil {
			os.Remove(tmp.Name())
			return fmt.Errorf("writing %s: %w", f.name, err)
		}
	case f.device:
		f.device = false
		d, err := os.OpenFile(f.name, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		_, err = d.Write(f.buf.Bytes())
		if err2 := d.Close(); err == nil {
			err = err2
		}
		if err != nil {
			return fmt.Errorf("writing %s: %w", f.name, err)
		}
	}
	return nil
}

// Discard removes the temporary file of a file not committed.
func (f *File) Discard() {
	if f.tmp != nil {
		f.tmp.Close()
		os.Remove(f.tmp.Name())
		f.tmp = nil
	}
	f.device = false
}
