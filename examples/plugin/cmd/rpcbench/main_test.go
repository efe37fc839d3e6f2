package main

import (
	"testing"

	"github.com/rpcbench/rpcbench/cli"
)

// TestRunsBesideTheBuiltIns runs the command as a user would, with the
// plug-in codec beside a built-in one and every reply checked.
func TestRunsBesideTheBuiltIns(t *testing.T) {
	args := []string{"run", "--codec", "cbor,msgpack", "--peers", "none", "--transport", "pipe",
		"--payload", "arith,records:10", "--calls", "200", "--warmup", "0s", "--check-every", "1"}
	if code := cli.Main(args); code != 0 {
		t.Fatalf("rpcbench %v exited %d", args, code)
	}
}
