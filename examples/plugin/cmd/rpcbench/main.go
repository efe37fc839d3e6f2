// Command rpcbench is rpcbench with the CBOR codec: every command, with
// --codec cbor beside the built-in codecs.
package main

import (
	"os"

	"github.com/rpcbench/rpcbench/cli"

	_ "github.com/rpcbench/rpcbench/examples/plugin/cborrpc" // registers "cbor"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
