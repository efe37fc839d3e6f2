package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/harness"
	"github.com/rpcbench/rpcbench/payload"
	"github.com/rpcbench/rpcbench/transports"
	"github.com/rpcbench/rpcbench/transports/netem"
)

func list(_ context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("list", `list

Lists what the other commands can be given: the codecs (--codec), the
transports (--transport), example payloads (--payload), the peers measured
beside the codecs (--peers) and the network profiles (--net) with their
figures. It takes no flags.`, stdout)
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q: list takes none", fs.Arg(0))
	}
	fmt.Fprintf(stdout, "codecs:      %s\n", strings.Join(codecs.Describe(), "\n             "))
	fmt.Fprintf(stdout, "transports:  %s\n", strings.Join(transports.Names(), " "))
	fmt.Fprintf(stdout, "payloads:    %s  (bytes:N takes any size, records:N any count)\n", strings.Join(payload.Examples(), " "))
	fmt.Fprintf(stdout, "peers:       %s\n", strings.Join(harness.PeerNames(), " "))
	fmt.Fprintf(stdout, "workloads:   %s\n", strings.Join(harness.WorkloadNames(), " "))
	fmt.Fprintln(stdout, "network profiles (--net):")
	for _, p := range netem.Profiles() {
		fmt.Fprintf(stdout, "  %s\n", p)
	}
	fmt.Fprintln(stdout, "  custom:latency=20ms,jitter=2ms,dist=normal,kbps=10000,mtu=1500,loss=1%,partition=30s:2s,seed=7: your own figures, each optional")
	return nil
}
