package harness

import (
	"fmt"
	"strings"

	"github.com/rpcbench/rpcbench/measure"
	"github.com/rpcbench/rpcbench/stack"
	"github.com/rpcbench/rpcbench/stack/grpcpeer"
	"github.com/rpcbench/rpcbench/stack/stdlibpeer"
	"github.com/rpcbench/rpcbench/stack/thriftpeer"
)

// peers are the stacks measured beside the codecs, by the name --peers
// takes. Adding one is one line here.
var peers = []stack.Stack{
	grpcpeer.Unary{},
	grpcpeer.Stream{},
	thriftpeer.Stack{},
	stdlibpeer.Gob{},
	stdlibpeer.JSON{},
	stack.Floor{},
	stack.FloorMux{},
}

// PeerNames lists the peers --peers accepts.
func PeerNames() []string {
	names := make([]string, len(peers))
	for i, p := range peers {
		names[i] = p.ID().Name
	}
	return names
}

// LookupPeer returns the peer called name ("grpc", "floor").
func LookupPeer(name string) (stack.Stack, error) {
	for _, p := range peers {
		if p.ID() == measure.PeerID(name) {
			return p, nil
		}
	}
	return nil, fmt.Errorf("unknown peer %q (have %s)", name, strings.Join(PeerNames(), ", "))
}
