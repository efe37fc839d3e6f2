package codectest

import (
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/service"
)

// zeroCalls are calls whose replies have every field at its zero value,
// each with the shape a client with no rpcbench code must find on the wire
// of a format that names fields: every field by its JSON name, a nested
// message as a map of its own, a list as a list, and nil where a zero value
// is due.
var zeroCalls = []struct {
	method      string
	args, reply proto.Message
	wire        map[string]any
}{
	{"Arith.Multiply", &service.Args{A: 0, B: 3}, &service.Product{}, map[string]any{"value": nil}},
	{"Arith.Divide", &service.Args{A: 0, B: 3}, &service.Quotient{}, map[string]any{"quo": nil, "rem": nil}},
	// Empty, not absent: JSON then writes "" as encoding/json does for an
	// empty []byte (a nil one is null).
	{"Echo.Echo", &service.EchoRequest{Payload: []byte{}}, &service.EchoReply{Payload: []byte{}}, map[string]any{"payload": nil}},
	{
		"Echo.Records",
		&service.RecordBatch{Records: []*service.Record{{}}},
		&service.RecordBatch{Records: []*service.Record{{}}},
		map[string]any{"records": []any{map[string]any{
			"id": nil, "name": nil, "score": nil, "flag": nil, "tags": nil, "counters": nil, "timestamp": nil,
		}}},
	},
}

// testZeroReplies checks that replies whose fields are all zero come back
// equal to what was sent, in every codec: a format that leaves zero values
// out must bring them back as zeros.
func testZeroReplies(t *testing.T, newCodec func(int) codecs.Codec) {
	s := startServer(t, newCodec(0))
	c := s.client(t, newCodec(0))
	for _, zc := range zeroCalls {
		reply := zc.reply.ProtoReflect().New().Interface()
		if err := c.Call(zc.method, zc.args, reply); err != nil || !proto.Equal(reply, zc.reply) {
			t.Errorf("%s(%v) = %v, %v; want %v", zc.method, zc.args, reply, err, zc.reply)
		}
	}
}

// FieldsOnWire checks a codec whose wire format names each field (JSON,
// MessagePack): a reply whose fields are all zero must still name every
// field, as net/rpc/jsonrpc does for a plain Go struct, for a client with
// no rpcbench code reads result.value and must not find it missing.
//
// It sends each call as c's client codec encodes it to a server with c,
// and hands the connection to readResult, which plays that client: it reads
// one response off the wire with the format's own library and returns the
// response's result as that library decodes it into generic values (maps
// keyed by field name, lists as lists).
func FieldsOnWire(t *testing.T, c codecs.Codec, readResult func(io.Reader) (any, error)) {
	t.Helper()
	arm(t)
	s := startServer(t, c)
	for i, zc := range zeroCalls {
		t.Run(zc.method, func(t *testing.T) {
			conn := s.dialRaw(t)
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			mustWrite(t, conn, Request(c, uint64(i), zc.method, zc.args))
			result, err := readResult(conn)
			if err != nil {
				t.Fatalf("reading the response off the wire: %v", err)
			}
			if err := matchShape(result, zc.wire); err != nil {
				t.Errorf("the result of %s(%v) as a raw client reads it, %#v: %v", zc.method, zc.args, result, err)
			}
		})
	}
}

// matchShape checks got against the shape want (see zeroCalls): every key
// of a map present, no other keys, and a zero value (nil, false, 0, "" or
// empty) where want holds nil.
func matchShape(got, want any) error {
	switch want := want.(type) {
	case nil:
		if got != nil && !isZero(reflect.ValueOf(got)) {
			return fmt.Errorf("%#v is not a zero value", got)
		}
	case []any:
		list, ok := got.([]any)
		if !ok || len(list) != len(want) {
			return fmt.Errorf("%#v is not a list of %d", got, len(want))
		}
		for i := range want {
			if err := matchShape(list[i], want[i]); err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
		}
	case map[string]any:
		m, err := stringKeys(got)
		if err != nil {
			return err
		}
		for _, k := range slices.Sorted(maps.Keys(want)) {
			v, ok := m[k]
			if !ok {
				return fmt.Errorf("field %q is missing", k)
			}
			if err := matchShape(v, want[k]); err != nil {
				return fmt.Errorf("field %q: %w", k, err)
			}
		}
		for k := range m {
			if _, ok := want[k]; !ok {
				return fmt.Errorf("field %q is not in the message", k)
			}
		}
	}
	return nil
}

// stringKeys returns a generic map keyed by strings, whichever map type a
// library decodes into (MessagePack libraries give map[any]any).
func stringKeys(v any) (map[string]any, error) {
	switch m := v.(type) {
	case map[string]any:
		return m, nil
	case map[any]any:
		out := make(map[string]any, len(m))
		for k, e := range m {
			s, ok := k.(string)
			if !ok {
				return nil, fmt.Errorf("map key %#v is not a field name", k)
			}
			out[s] = e
		}
		return out, nil
	}
	return nil, fmt.Errorf("%#v is not a map of fields", v)
}

func isZero(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Slice, reflect.Map, reflect.String:
		return v.Len() == 0
	}
	return v.IsZero()
}
