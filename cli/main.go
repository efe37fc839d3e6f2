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
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `rpcbench measures net/rpc codecs and transports.

Usage:
  rpcbench run [flags]                            measure codecs, peers and the floor; print a table
  rpcbench matrix -o DIR [flags]                  measure many configurations; write DIR/
  rpcbench compare OLD NEW [MORE...]              benchstat's table of runs' changes
  rpcbench gate --baseline B NEW                  fail (exit 1) on a regression from baseline B
  rpcbench report DIR... -o REPORT.md             REPORT.md and its charts from matrix results
  rpcbench list                                   codecs, transports, payloads and peers
  rpcbench version                                module version and VCS revision (also --version)
  rpcbench serve --codec C [--transport T] [--addr A]
                                                  serve the Arith/Echo service until SIGINT/SIGTERM
  rpcbench call  --codec C [--transport T] --addr A METHOD 'JSON'
                                                  make one call and print the reply as JSON

Run 'rpcbench COMMAND --help' for a command's flags.

Examples:
  rpcbench run
  rpcbench run --codec msgpack --format bench --count 10 > new.txt
  rpcbench compare old.txt new.txt
  rpcbench gate --baseline results/baseline results/new
  rpcbench serve --codec msgpack --addr 127.0.0.1:9000
  rpcbench call --codec msgpack --addr 127.0.0.1:9000 Arith.Multiply '{"a":6,"b":7}'
`

// errUsage marks an error whose message has already been printed with the
// command's usage; main only sets the exit status.
var errUsage = errors.New("usage")

// Main runs the command line with args (os.Args[1:]) and returns the
// process's exit status: 0 success, 1 a failed run or call, 2 a usage error.
func Main(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Stdout, os.Stderr, args)
	stop()
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		fmt.Fprintln(os.Stderr, "rpcbench:", err)
		return 1
	}
}

func run(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
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
		"version": versionCmd,
	}
	cmd, ok := commands[args[0]]
	switch {
	case ok:
		return cmd(ctx, stdout, stderr, args[1:])
	case args[0] == "--version" || args[0] == "-version":
		return versionCmd(ctx, stdout, stderr, args[1:])
	case args[0] == "help" || args[0] == "-h" || args[0] == "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "rpcbench: unknown command %q\n\n%s", args[0], usage)
	return errUsage
}

// newFlagSet returns a flag set whose errors and help go to stderr with the
// command's synopsis.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: rpcbench %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, mapping a parse error (already printed with the
// usage) to errUsage and -help to a clean exit.
func parseFlags(fs *flag.FlagSet, args []string) (help bool, err error) {
	switch err := fs.Parse(args); {
	case errors.Is(err, flag.ErrHelp):
		return true, nil
	case err != nil:
		return false, errUsage
	}
	return false, nil
}
