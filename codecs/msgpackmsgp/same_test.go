package msgpackmsgp_test

import (
	"bytes"
	"fmt"
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
// encoded. Maps are compared with their entries in the order of their
// bytes: both write a Go map in its iteration order.
func FuzzSameAsLibrary(f *testing.F) {
	codectest.FuzzSame(f, library, generated, canonical, func(v any) bool {
		_, ok := v.(msgp.Marshaler)
		return ok
	})
}

// library and generated are the msgpack codec's two ways to encode and
// decode a service message.
var (
	library = codectest.Library{
		Encode: func(v any) ([]byte, error) {
			var buf bytes.Buffer
			enc := vmsgpack.NewEncoder(&buf)
			enc.UseCompactInts(true)
			err := enc.Encode(v)
			return buf.Bytes(), err
		},
		Decode: vmsgpack.Unmarshal,
	}
	generated = codectest.Library{
		Encode: func(v any) ([]byte, error) { return v.(msgp.Marshaler).MarshalMsg(nil) },
		Decode: func(b []byte, v any) error {
			rest, err := v.(msgp.Unmarshaler).UnmarshalMsg(b)
			if err == nil && len(rest) > 0 {
				err = fmt.Errorf("%d bytes left after the value", len(rest))
			}
			return err
		},
	}
)

// canonical returns the value encoded in b with the entries of every map
// in the order of their bytes, every other byte as it was; b itself if it
// does not hold exactly one value.
func canonical(b []byte) []byte {
	out, rest, err := canonicalValue(b)
	if err != nil || len(rest) > 0 {
		return b
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
