// Command teambench is a team's own rpcbench: the whole command line from
// rpcbench's cli package, built in the team's module, so that its codecs
// (registered in init by a blank import, where rpcbench offers that) are
// measured beside the built-in ones, and so that CI can build it at two
// commits and gate one against the other.
package main

import (
	"os"

	"github.com/rpcbench/rpcbench/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
