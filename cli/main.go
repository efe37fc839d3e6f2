// Package cli is the rpcbench command line as a library: cmd/rpcbench is
// three lines over Main, and a team's own module gets the whole command, with
// its own codecs and transports registered, the same way:
//
//	import (
//		"os"
//
//		"github.com/rpcbench/rpcbench/cli"
//		_ "example.com/team/mycodec" // calls codecs.Register in init
//	)
//
//	func main() { os.Exit(cli.Main(os.Args[1:])) }
//
// It parses flags, prints help and results and maps errors to exit
// codes (exit.go); what to run and how is the harness's (harness.Plan,
// harness.Run, harness.FindMax) and what a run produces is measure's.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const usage = `rpcbench measures net/rpc codecs and transports.

Usage:
  rpcbench run [flags]                            measure codecs, peers and the floor; print a table
  rpcbench matrix -o DIR [flags]                  measure many configurations; write DIR/
  rpcbench compare OLD NEW [MORE...]              benchstat's table of runs' changes
  rpcbench gate --baseline B NEW                  fail (exit 1) on a regression from baseline B
  rpcbench report DIR... -o REPORT.md             REPORT.md and its charts from matrix results
  rpcbench merge A.json B.json... [-o OUT]        one exact result from load processes run side by side
  rpcbench list                                   codecs, transports, payloads and peers
  rpcbench version                                module version and VCS revision (also --version)
  rpcbench doctor [--quick] [--format json]       measure the machine: timers, loopback, steal, noise
  rpcbench serve --codec C [--transport T] [--addr A]
                                                  serve the Arith/Echo service until SIGINT/SIGTERM
  rpcbench call  --codec C [--transport T] --addr A METHOD [ARGS]
                                                  make one call and print the reply as JSON

Run 'rpcbench COMMAND --help' for a command's flags; flags may come before or after
arguments. 'rpcbench --version' prints the version.

Examples:
  rpcbench run
  rpcbench run --codec msgpack --format bench --count 10 > new.txt
  rpcbench compare old.txt new.txt
  rpcbench gate --baseline results/baseline results/new
  rpcbench serve --codec msgpack --addr 127.0.0.1:9000
  rpcbench call --codec msgpack --addr 127.0.0.1:9000 Arith.Multiply '{"a":6,"b":7}'
`

// Main runs the command line with args (os.Args[1:]) and returns the
// process's exit status, one of exitStatuses. The first SIGINT or SIGTERM cancels the
// command's context, so that a run ends its window and keeps what it
// measured; a second one exits at once. Signals stay caught after Main
// returns, until the process exits with its status: a second Ctrl-C
// arriving as the process exits would otherwise kill it with the signal's
// status instead of 130.
func Main(args []string) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	handled := make(chan struct{})
	go func() {
		defer close(handled)
		select {
		case <-sigs:
			cancel()
		case <-done:
			return
		}
		select {
		case <-sigs:
			fmt.Fprintln(os.Stderr, "rpcbench: interrupted twice: exiting without results")
			os.Exit(130)
		case <-done:
		}
	}()
	err := run(ctx, os.Stdout, os.Stderr, args)
	close(done)
	<-handled
	return exitCode(err, os.Stderr)
}

func run(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage+"\n"+exitTable())
		return errUsage
	}
	commands := map[string]func(context.Context, io.Writer, io.Writer, []string) error{
		"list":    list,
		"serve":   serve,
		"call":    call,
		"run":     runCmd,
		"matrix":  matrixCmd,
		"compare": compareCmd,
		"gate":    gateCmd,
		"report":  reportCmd,
		"merge":   mergeCmd,
		"version": versionCmd,
		"doctor":  doctorCmd,
	}
	name := args[0]
	if name == "--version" || name == "-version" {
		name = "version"
	}
	cmd, ok := commands[name]
	switch {
	case ok:
		err := cmd(ctx, stdout, stderr, args[1:])
		if ue := (*usageError)(nil); errors.As(err, &ue) {
			fmt.Fprintf(stderr, "rpcbench %s: %s\nRun 'rpcbench %s --help' for usage.\n", name, ue.msg, name)
			return errUsage
		}
		if ie := (*inputError)(nil); errors.As(err, &ie) {
			fmt.Fprintf(stderr, "rpcbench %s: %v\n", name, ie)
			return ie // exit 2, printed
		}
		return err
	case name == "help" || name == "-h" || name == "--help":
		fmt.Fprint(stdout, usage+"\n"+exitTable())
		return nil
	}
	fmt.Fprintf(stderr, "rpcbench: unknown command %q\nRun 'rpcbench --help' for the commands.\n", name)
	return errUsage
}

// newFlagSet returns a flag set whose help (--help, or fs.Usage) prints
// the command's synopsis, its flags, each once, and the exit statuses to
// stdout: help asked for is the output (run --help | grep rate). Parse
// errors are returned, not printed: run prints them on one line.
func newFlagSet(name, synopsis string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		printHelp(stdout, fs, synopsis)
		fmt.Fprint(stdout, "\n"+exitTable())
	}
	return fs
}

// aliasMark begins the usage text of a flag that is another's second
// spelling, so that help lists it under the first.
const aliasMark = "\x00alias of "

// alias makes spelling a second name for the flag name: --codecs for
// --codec. Help lists the flag once and names the alias in its text;
// giving both spellings is a usage error.
func alias(fs *flag.FlagSet, name, spelling string) {
	fs.Var(fs.Lookup(name).Value, spelling, aliasMark+name)
}

// printHelp writes the command's synopsis and each flag once, aliases named
// beside it, in the --name form the documentation uses.
func printHelp(w io.Writer, fs *flag.FlagSet, synopsis string) {
	fmt.Fprintf(w, "Usage: rpcbench %s\n", synopsis)
	aliases := map[string][]string{}
	fs.VisitAll(func(f *flag.Flag) {
		if of, ok := strings.CutPrefix(f.Usage, aliasMark); ok {
			aliases[of] = append(aliases[of], "--"+f.Name)
		}
	})
	first := true
	fs.VisitAll(func(f *flag.Flag) {
		if strings.HasPrefix(f.Usage, aliasMark) {
			return
		}
		if first {
			fmt.Fprintln(w, "\nFlags:")
			first = false
		}
		typ, text := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if len(f.Name) == 1 {
			line = "  -" + f.Name // -o, as the documentation spells it
		}
		if typ != "" {
			line += " " + typ
		}
		if a := aliases[f.Name]; len(a) > 0 {
			line += "  (also " + strings.Join(a, ", ") + ")"
		}
		fmt.Fprintln(w, line)
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "0s" {
			text += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		for l := range strings.SplitSeq(text, "\n") {
			fmt.Fprintf(w, "      %s\n", l)
		}
	})
}

// badValue matches the flag package's error for a value its flag refuses.
var badValue = regexp.MustCompile(`^invalid (?:boolean )?value "(.*)" for (?:flag )?-([^:]+): (.*)$`)

// flagError is the usageError for a parse error of fs: a bad value says
// the flag as the documentation spells it, the value, and what the flag
// wants, with an example, rather than the flag package's "parse error".
func flagError(fs *flag.FlagSet, err error) error {
	m := badValue.FindStringSubmatch(err.Error())
	if m == nil {
		return usagef("%v", err)
	}
	value, name, why := m[1], m[2], m[3]
	// A flag's own Set names the value too: say it once.
	if _, rest, ok := strings.Cut(why, strconv.Quote(value)+": "); ok {
		why = rest
	}
	if g, ok := fs.Lookup(name).Value.(flag.Getter); ok {
		switch g.Get().(type) {
		case time.Duration:
			why = "want a duration such as 2s, 500ms or 1m30s"
		case int, int64, uint, uint64:
			why = "want a whole number such as 16"
		case float64:
			why = "want a number such as 1000 or 0.5"
		case bool:
			why = "want true or false (--" + name + " alone is true)"
		}
	}
	return usagef("--%s %q: %s", name, value, why)
}

// parseFlags parses args, flags before and after the positional arguments
// alike ("compare a b --unit x"; "--" ends the flags), and leaves the
// positional ones in fs.Args(). help reports --help, already printed with
// the synopsis; a bad flag, or one flag given under both its spellings, is a
// usageError.
func parseFlags(fs *flag.FlagSet, args []string) (help bool, err error) {
	usage := fs.Usage
	fs.Usage = func() {} // the flag package calls it on errors too
	defer func() { fs.Usage = usage }()
	var positional []string
	for {
		switch err := fs.Parse(args); {
		case errors.Is(err, flag.ErrHelp):
			usage()
			return true, nil
		case err != nil:
			return false, flagError(fs, err)
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	// Leave the positional arguments where fs.Args finds them.
	if err := fs.Parse(append([]string{"--"}, positional...)); err != nil {
		return false, usagef("%v", err)
	}
	var twice error
	fs.Visit(func(f *flag.Flag) {
		if of, ok := strings.CutPrefix(f.Usage, aliasMark); ok && twice == nil {
			fs.Visit(func(g *flag.Flag) {
				if g.Name == of {
					twice = usagef("--%s and --%s are two spellings of one flag: give it once", of, f.Name)
				}
			})
		}
	})
	return false, twice
}
