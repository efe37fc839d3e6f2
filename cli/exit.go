package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// The exit statuses of every command. exitStatuses is the one table that
// says what they mean: --help prints it, and the README holds the same
// lines (TestREADMEHasTheExitTable).
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitBroken      = 99
	exitInterrupted = 130
)

var exitStatuses = []struct {
	code    int
	meaning string
}{
	{exitOK, "ok; also serve stopped by a signal (SIGINT, SIGTERM, SIGHUP) once its calls in\n" +
		"flight have finished: stopping is how it ends"},
	{exitFailed, "calls failed (run, matrix, call), the gate found a regression, or the command\n" +
		"failed otherwise, said on stderr"},
	{exitUsage, "a usage error, said in one line naming the bad flag or value; or input that cannot be\n" +
		"used: a missing or unparsable file, a gate that cannot decide"},
	{exitBroken, "run, matrix: a --fail-on threshold broke, or --find-max found no rate that held"},
	{exitInterrupted, "run, matrix: interrupted by SIGINT or SIGTERM (the finished rows are still printed\n" +
		"and written)"},
}

// exitTable is exitStatuses as help and the README print it.
func exitTable() string {
	var b strings.Builder
	b.WriteString("Exit status:\n")
	for _, s := range exitStatuses {
		for i, line := range strings.Split(s.meaning, "\n") {
			code := ""
			if i == 0 {
				code = fmt.Sprint(s.code)
			}
			fmt.Fprintf(&b, "  %3s  %s\n", code, line)
		}
	}
	return b.String()
}

// errUsage marks an error whose message has already been printed; main
// only sets the exit status (2).
var errUsage = errors.New("usage")

// errInterrupted reports a run cut short by SIGINT or SIGTERM: what was
// finished has been printed and written; main exits 130.
var errInterrupted = errors.New("interrupted")

// A usageError is a misuse of the command line: a bad flag value, a
// missing argument. run prints it as one line with a pointer to --help,
// not the whole usage, and main exits 2.
type usageError struct{ msg string }

func (e *usageError) Error() string        { return e.msg }
func (e *usageError) Is(target error) bool { return target == errUsage }

// usagef returns a usageError; the message should name the bad value.
func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// An inputError is input a command cannot use: a missing or unparsable
// file, results that cannot be compared. run prints it as one line
// without the pointer to --help (the command line was right), and main
// exits 2. It wraps what went wrong (fs.ErrNotExist, ...).
type inputError struct{ err error }

func (e *inputError) Error() string        { return e.err.Error() }
func (e *inputError) Unwrap() error        { return e.err }
func (e *inputError) Is(target error) bool { return target == errUsage }

// inputf returns an inputError, formatted as fmt.Errorf does; the message
// should name the file.
func inputf(format string, a ...any) error { return &inputError{fmt.Errorf(format, a...)} }

// exitCode maps what a command returned to the process's exit status,
// printing the error unless it has been printed already.
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errUsage):
		return exitUsage
	case errors.Is(err, errInterrupted):
		return exitInterrupted
	case errors.Is(err, errThresholdsBroken):
		return exitBroken // the table and the broken thresholds are printed
	}
	fmt.Fprintln(stderr, "rpcbench:", err)
	return exitFailed
}
