// Command rpcbench is rpcbench with this module's plug-ins: the CBOR codec
// (--codec cbor), the pair workload (--workload pair) and the http-json
// peer (--peers http-json), beside the built-in ones.
package main

import (
	"os"

	"github.com/rpcbench/rpcbench/cli"

	_ "github.com/rpcbench/rpcbench/examples/plugin/cborrpc"  // registers the codec "cbor"
	_ "github.com/rpcbench/rpcbench/examples/plugin/httpjson" // registers the peer "http-json"
	_ "github.com/rpcbench/rpcbench/examples/plugin/pairload" // registers the workload "pair"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
