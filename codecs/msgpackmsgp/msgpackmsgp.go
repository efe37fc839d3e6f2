package msgpackmsgp

import (
	"io"
	"net/rpc"
	"reflect"

	"github.com/tinylib/msgp/msgp"

	"github.com/rpcbench/rpcbench/codecs/hostile"
	"github.com/rpcbench/rpcbench/codecs/msgpack"
)

// Codec is the MessagePack-RPC codec with msgp's generated code.
type Codec struct {
	// MaxMessage caps the size in bytes of one message the codec reads, as
	// msgpack.Codec's does. 0 means frame.DefaultMax (64 MiB).
	MaxMessage int
}

// Name returns "msgpack-msgp".
func (Codec) Name() string { return "msgpack-msgp" }

// NewClientCodec returns a MessagePack-RPC client codec over conn.
func (c Codec) NewClientCodec(conn io.ReadWriteCloser) rpc.ClientCodec {
	return c.msgpack().NewClientCodec(conn)
}

// NewServerCodec returns a MessagePack-RPC server codec over conn.
func (c Codec) NewServerCodec(conn io.ReadWriteCloser) rpc.ServerCodec {
	return c.msgpack().NewServerCodec(conn)
}

// Hostile describes the wire to the attack suite and codectest: msgpack's.
func (c Codec) Hostile() hostile.Format { return c.msgpack().Hostile() }

func (c Codec) msgpack() msgpack.Codec {
	return msgpack.Codec{MaxMessage: c.MaxMessage, Body: generated{}}
}

// NewClientCodec returns a client codec over conn with the default options.
func NewClientCodec(conn io.ReadWriteCloser) rpc.ClientCodec {
	return Codec{}.NewClientCodec(conn)
}

// NewServerCodec returns a server codec over conn with the default options.
func NewServerCodec(conn io.ReadWriteCloser) rpc.ServerCodec {
	return Codec{}.NewServerCodec(conn)
}

// generated is the msgpack.Body of the types with msgp's methods.
type generated struct{}

func (generated) AppendBody(b []byte, v any) ([]byte, bool, error) {
	m, ok := v.(msgp.Marshaler)
	if !ok || isNil(v) { // the library writes a nil pointer as nil
		return b, false, nil
	}
	b, err := m.MarshalMsg(b)
	return b, true, err
}

func (generated) ReadBody(b []byte, v any) ([]byte, bool) {
	u, ok := v.(msgp.Unmarshaler)
	if !ok {
		return b, false
	}
	rest, err := u.UnmarshalMsg(b)
	return rest, err == nil
}

func isNil(v any) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}
