package harness

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/rpcbench/rpcbench/measure"
	"github.com/rpcbench/rpcbench/stack"
	"github.com/rpcbench/rpcbench/stack/grpcpeer"
	"github.com/rpcbench/rpcbench/stack/stdlibpeer"
	"github.com/rpcbench/rpcbench/stack/thriftpeer"
)

// The workloads --workload takes and the peers --peers takes: the
// built-in ones, then those added with RegisterWorkload and RegisterPeer
// (from this module or another), as codecs.Register adds codecs.
var (
	mu        sync.Mutex // guards workloads and peers
	workloads = []Workload{Call{}, Watch{}, Duplex{}}
	peers     = []stack.Stack{
		grpcpeer.Unary{},
		grpcpeer.Stream{},
		thriftpeer.Stack{},
		stdlibpeer.Gob{},
		stdlibpeer.JSON{},
		stack.Floor{},
		stack.FloorMux{},
	}
)

// RegisterWorkload adds w to the workloads --workload takes. Its name must
// be new and usable in a benchmark name (no '/', '=', ',' or space).
func RegisterWorkload(w Workload) error {
	mu.Lock()
	defer mu.Unlock()
	if err := checkName("workload", w.Name(), slices.ContainsFunc(workloads, func(o Workload) bool { return o.Name() == w.Name() })); err != nil {
		return err
	}
	workloads = append(workloads, w)
	return nil
}

// RegisterPeer adds s to the peers --peers takes, by s.ID().Name; its ID
// must be a peer's (measure.PeerID) with a new name.
func RegisterPeer(s stack.Stack) error {
	id := s.ID()
	if id.Kind != measure.KindPeer {
		return fmt.Errorf("harness: RegisterPeer(%s): want a peer's ID (measure.PeerID), not a codec's", id)
	}
	mu.Lock()
	defer mu.Unlock()
	if err := checkName("peer", id.Name, slices.ContainsFunc(peers, func(o stack.Stack) bool { return o.ID() == id })); err != nil {
		return err
	}
	peers = append(peers, s)
	return nil
}

func checkName(kind, name string, taken bool) error {
	switch {
	case name == "" || strings.ContainsAny(name, "/=, \t"):
		return fmt.Errorf("harness: %s name %q: want a non-empty name without '/', '=', ',' or spaces", kind, name)
	case taken:
		return fmt.Errorf("harness: a %s called %q is already registered", kind, name)
	}
	return nil
}

// WorkloadNames lists the workloads --workload accepts.
func WorkloadNames() []string {
	mu.Lock()
	defer mu.Unlock()
	return namesOf(workloads, Workload.Name)
}

// LookupWorkload returns the workload called name.
func LookupWorkload(name string) (Workload, error) {
	mu.Lock()
	defer mu.Unlock()
	if i := slices.IndexFunc(workloads, func(w Workload) bool { return w.Name() == name }); i >= 0 {
		return workloads[i], nil
	}
	return nil, fmt.Errorf("unknown workload %q (have %s)", name, strings.Join(namesOf(workloads, Workload.Name), ", "))
}

// PeerNames lists the peers --peers accepts.
func PeerNames() []string {
	mu.Lock()
	defer mu.Unlock()
	return namesOf(peers, func(s stack.Stack) string { return s.ID().Name })
}

// LookupPeer returns the peer called name ("grpc", "floor").
func LookupPeer(name string) (stack.Stack, error) {
	mu.Lock()
	defer mu.Unlock()
	if i := slices.IndexFunc(peers, func(s stack.Stack) bool { return s.ID() == measure.PeerID(name) }); i >= 0 {
		return peers[i], nil
	}
	return nil, fmt.Errorf("unknown peer %q (have %s)", name, strings.Join(namesOf(peers, func(s stack.Stack) string { return s.ID().Name }), ", "))
}

func namesOf[T any](all []T, name func(T) string) []string {
	names := make([]string, len(all))
	for i, x := range all {
		names[i] = name(x)
	}
	return names
}
