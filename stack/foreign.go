package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"reflect"

	"github.com/rpcbench/rpcbench/payload"
	"github.com/rpcbench/rpcbench/service"
)

// Foreign is the net/rpc stack with one codec calling a server that is
// not rpcbench's: a JSON-RPC service, Neovim's MessagePack-RPC, a net/rpc
// gob server. It loads one method the way ghz loads a gRPC one: the calls
// are Method's (see Method), every metric is the same as a codec's, and it
// has no server of its own to start.
type Foreign struct{ Codec }

// ErrNoServer is returned by a Foreign stack's server: a foreign method
// can only be called on the server that has it (an external address).
var ErrNoServer = errors.New("a foreign method has no in-process server: give the address of a server that has it")

// Serve refuses: it closes l, and the Server's Close reports ErrNoServer.
func (f Foreign) Serve(l net.Listener, _ *service.Delay) Server {
	l.Close()
	return closer(func() error { return fmt.Errorf("%s: %w", f.ID(), ErrNoServer) })
}

// NewClient is the codec's client without the StatsReader: a foreign
// server has no Stats.Read, and one that never answers an unknown method
// must not hold up every run by the call timeout.
func (f Foreign) NewClient(conn net.Conn, p payload.Payload) (Client, error) {
	c, err := f.Codec.NewClient(conn, p)
	if err != nil {
		return nil, err
	}
	return foreignClient{c.(*rpcClient)}, nil
}

type foreignClient struct{ c *rpcClient }

func (f foreignClient) Call(ctx context.Context, check bool) error { return f.c.Call(ctx, check) }
func (f foreignClient) Close() error                               { return f.c.Close() }
func (f foreignClient) Pipeline(depth int) Pipeline                { return f.c.Pipeline(depth) }

// Method is the payload of a foreign method: args are sent as they are
// on every call, and a checked reply (the first, and one in
// Config.CheckEvery) must decode without error and, when expect is not
// nil, equal it once both are seen as JSON (so that a MessagePack reply of
// int64 42 equals an expected 42, and a map keyed by any equals a JSON
// object). The payload's name, which benchmark names carry, is the
// method's.
func Method(method string, args any, newReply func() any, expect any) (payload.Payload, error) {
	p := payload.Payload{Name: method, Method: method, Args: args, NewReply: newReply, Check: func(any) error { return nil }}
	if expect == nil {
		return p, nil
	}
	want, err := asJSON(expect)
	if err != nil {
		return p, fmt.Errorf("%s: expected reply: %w", method, err)
	}
	wantText, _ := json.Marshal(want)
	p.Check = func(reply any) error {
		got, err := asJSON(reply)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", payload.ErrWrongReply, method, err)
		}
		if !reflect.DeepEqual(got, want) {
			gotText, _ := json.Marshal(got)
			return fmt.Errorf("%w: %s replied %s; want %s", payload.ErrWrongReply, method, clip(gotText), clip(wantText))
		}
		return nil
	}
	return p, nil
}

// asJSON is v as encoding/json decodes its JSON into an any: numbers are
// float64, objects map[string]any. Maps keyed by any (MessagePack's) get
// string keys on the way.
func asJSON(v any) (any, error) {
	b, err := json.Marshal(StringKeys(v))
	if err != nil {
		return nil, err
	}
	var out any
	err = json.NewDecoder(bytes.NewReader(b)).Decode(&out)
	return out, err
}

// StringKeys returns v, a value a codec decoded generically, with every
// map keyed by strings (MessagePack libraries decode maps as map[any]any),
// so that encoding/json can write it.
func StringKeys(v any) any {
	switch v := v.(type) {
	case *any:
		return StringKeys(*v)
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[fmt.Sprint(k)] = StringKeys(e)
		}
		return m
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = StringKeys(e)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, e := range v {
			s[i] = StringKeys(e)
		}
		return s
	}
	return v
}

// clip keeps an error message short when a reply is large.
func clip(b []byte) string {
	const most = 200
	if len(b) > most {
		return string(b[:most]) + "…"
	}
	return string(b)
}
