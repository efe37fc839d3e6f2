package measure

import (
	"fmt"
	"strings"
)

// A StackKind says what a stack is: a codec over net/rpc, or a peer measured
// beside the codecs (gRPC, Thrift, the floor).
type StackKind int

const (
	KindCodec StackKind = iota + 1
	KindPeer
)

// Key is the kind's key in benchmark names: codec or peer.
func (k StackKind) Key() string {
	switch k {
	case KindCodec:
		return "codec"
	case KindPeer:
		return "peer"
	}
	return fmt.Sprintf("kind%d", int(k))
}

// A StackID is a stack's identity: what results are labelled with and what
// benchmark names carry. String is the one place its "codec=NAME" /
// "peer=NAME" form is defined; ParseID reads it back.
type StackID struct {
	Kind StackKind
	Name string // "msgpack", "grpc", "floor"
}

// FloorID is the raw echo of the same bytes, one caller per connection:
// the kernel's limit, which every table compares against.
func FloorID() StackID { return PeerID("floor") }

// FloorMuxID is the floor with a request id and one reader per
// connection: the least a request/response multiplexer can cost.
func FloorMuxID() StackID { return PeerID("floor-mux") }

// GRPCID is grpc-go unary over the same protobuf messages.
func GRPCID() StackID { return PeerID("grpc") }

// CodecID is the identity of the net/rpc stack with the codec called name.
func CodecID(name string) StackID { return StackID{KindCodec, name} }

// PeerID is the identity of the peer called name.
func PeerID(name string) StackID { return StackID{KindPeer, name} }

// String is the StackID in benchmark key=value form: "codec=msgpack", "peer=grpc".
func (id StackID) String() string { return id.Kind.Key() + "=" + id.Name }

// Short is the StackID as tables label it: a codec by its name alone
// ("msgpack"), a peer in full ("peer=grpc").
func (id StackID) Short() string {
	if id.Kind == KindCodec {
		return id.Name
	}
	return id.String()
}

// Label is the Short form of the StackID whose String is s, or s itself when
// it is not one.
func Label(s string) string {
	id, err := ParseID(s)
	if err != nil {
		return s
	}
	return id.Short()
}

// ParseID reads what String wrote.
func ParseID(s string) (StackID, error) {
	k, name, ok := strings.Cut(s, "=")
	if ok && name != "" {
		for _, kind := range []StackKind{KindCodec, KindPeer} {
			if kind.Key() == k {
				return StackID{kind, name}, nil
			}
		}
	}
	return StackID{}, fmt.Errorf("stack %q: want codec=NAME or peer=NAME", s)
}
