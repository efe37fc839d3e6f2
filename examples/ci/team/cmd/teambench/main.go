// Command teambench is a team's own rpcbench: the whole command line from
// rpcbench's cli package, built in the team's module with the team's
// codec registered (teamjson, "team-json"), so that it is measured beside
// the built-in codecs and CI can build it at two commits and gate one
// against the other.
package main

import (
	"os"

	"github.com/rpcbench/rpcbench/cli"

	_ "example.com/team/teamjson" // registers "team-json"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
