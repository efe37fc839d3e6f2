// Command rpcbench measures how net/rpc calls travel: which codec, which
// transport, and what that costs against gRPC and native Thrift.
package main

import (
	"os"

	"github.com/rpcbench/rpcbench/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
