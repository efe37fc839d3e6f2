package msgpackmsgp_test

import (
	"bytes"
	"reflect"
	"slices"
	"testing"

	"github.com/tinylib/msgp/msgp"
	vmsgpack "github.com/vmihailenco/msgpack/v5"

	"github.com/rpcbench/rpcbench/codecs/codectest"
	_ "github.com/rpcbench/rpcbench/codecs/msgpack" // the library's struct codecs for the service's types
)

// FuzzSameAsLibrary is the proof that msgp's generated code writes the
// bytes the msgpack codec writes with github.com/vmihailenco/msgpack/v5 (its
// struct codecs, compact ints), for every service message built from the
// fuzzer's input, and that each decodes the other's bytes to the value
// encoded. Maps are compared with their entries in order of their bytes:
// both write a Go map in its iteration order.
func FuzzSameAsLibrary(f *testing.F) {
	codectest.AddValueSeeds(f)
	f.Fuzz(func(t *testing.T, a, b int64, score float64, flag bool, s string, payload []byte) {
		for _, v := range codectest.Values(a, b, score, flag, s, payload) {
			if m, ok := v.(msgp.Marshaler); ok {
				same(t, m)
			}
		}
	})
}

func same(t *testing.T, v msgp.Marshaler) {
	t.Helper()
	lib := libraryEncode(t, v)
	ours, err := v.MarshalMsg(nil)
	if err != nil {
		t.Fatalf("msgp encoding %#v: %v", v, err)
	}
	if !bytes.Equal(canonical(t, lib), canonical(t, ours)) {
		t.Fatalf("encoding %#v:\nlibrary %x\nmsgp    %x", v, lib, ours)
	}
	typ := reflect.TypeOf(v).Elem()
	byLibrary := reflect.New(typ).Interface()
	if err := vmsgpack.Unmarshal(ours, byLibrary); err != nil {
		t.Fatalf("the library decoding msgp's %x into %v: %v", ours, typ, err)
	}
	byMsgp := reflect.New(typ).Interface().(msgp.Unmarshaler)
	if rest, err := byMsgp.UnmarshalMsg(lib); err != nil || len(rest) > 0 {
		t.Fatalf("msgp decoding the library's %x into %v: %v, %d bytes left", lib, typ, err, len(rest))
	}
	// Encoded again, each decoded value writes the bytes it was decoded
	// from: equal values, NaN scores and nil-versus-empty included.
	for _, got := range []any{byLibrary, byMsgp} {
		if again := libraryEncode(t, got); !bytes.Equal(canonical(t, again), canonical(t, lib)) {
			t.Fatalf("decoded %x into %#v, which encodes to %x", lib, got, again)
		}
	}
}

// libraryEncode encodes v as the msgpack codec does.
func libraryEncode(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := vmsgpack.NewEncoder(&buf)
	enc.UseCompactInts(true)
	if err := enc.Encode(v); err != nil {
		t.Fatalf("the library encoding %#v: %v", v, err)
	}
	return buf.Bytes()
}

// canonical returns the value encoded in b with the entries of every map
// in the order of their bytes, every other byte as it was.
func canonical(t *testing.T, b []byte) []byte {
	t.Helper()
	out, rest, err := canonicalValue(b)
	if err != nil || len(rest) > 0 {
		t.Fatalf("walking %x: %v, %d bytes left", b, err, len(rest))
	}
	return out
}

func canonicalValue(b []byte) (out, rest []byte, err error) {
	var n uint32
	isMap := msgp.NextType(b) == msgp.MapType
	switch {
	case isMap:
		n, rest, err = msgp.ReadMapHeaderBytes(b)
		n *= 2
	case msgp.NextType(b) == msgp.ArrayType:
		n, rest, err = msgp.ReadArrayHeaderBytes(b)
	default:
		rest, err = msgp.Skip(b)
		return b[:len(b)-len(rest)], rest, err
	}
	if err != nil {
		return nil, nil, err
	}
	head := b[:len(b)-len(rest)]
	items := make([][]byte, n)
	for i := range items {
		if items[i], rest, err = canonicalValue(rest); err != nil {
			return nil, nil, err
		}
	}
	if isMap {
		entries := make([][]byte, 0, n/2)
		for i := 0; i < len(items); i += 2 {
			entries = append(entries, slices.Concat(items[i], items[i+1]))
		}
		slices.SortFunc(entries, bytes.Compare)
		items = entries
	}
	return slices.Concat(append([][]byte{head}, items...)...), rest, nil
}
