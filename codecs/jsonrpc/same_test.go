package jsonrpc_test

import (
	"bytes"
	stdjson "encoding/json"
	"reflect"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/rpcbench/rpcbench/codecs/codectest"
)

// FuzzJSONSameAsStdlib is the proof that the codec's JSON library writes
// the bytes encoding/json writes and reads them back to the same values
// (DESIGN 3): it builds service values from the fuzzer's input (numbers at
// their edges, bytes of every value, strings with unicode, invalid UTF-8,
// HTML and control characters, maps with many keys, generic values as
// rpcbench call sends them), encodes each with both, as the codec does
// (an Encoder with HTML escaping, newline and all), and decodes both
// encodings with both.
func FuzzJSONSameAsStdlib(f *testing.F) {
	codectest.AddValueSeeds(f)
	f.Fuzz(func(t *testing.T, a, b int64, score float64, flag bool, s string, payload []byte) {
		for _, v := range codectest.Values(a, b, score, flag, s, payload) {
			same(t, v)
		}
	})
}

// same fails t unless both libraries encode v to the same bytes (or both
// fail, as on a NaN score) and each decodes either encoding to the same
// value.
func same(t *testing.T, v any) {
	t.Helper()
	var std, ours bytes.Buffer
	stdErr := stdjson.NewEncoder(&std).Encode(v)
	ourErr := json.NewEncoder(&ours).Encode(v)
	if (stdErr == nil) != (ourErr == nil) {
		t.Fatalf("encoding %#v: encoding/json's error %v, ours %v", v, stdErr, ourErr)
	}
	if stdErr != nil {
		return
	}
	if !bytes.Equal(std.Bytes(), ours.Bytes()) {
		t.Fatalf("encoding %#v:\nencoding/json %q\nours          %q", v, std.Bytes(), ours.Bytes())
	}
	typ := reflect.TypeOf(v).Elem()
	stdV, ourV := reflect.New(typ).Interface(), reflect.New(typ).Interface()
	stdErr = stdjson.Unmarshal(std.Bytes(), stdV)
	ourErr = json.Unmarshal(std.Bytes(), ourV)
	if stdErr != nil || ourErr != nil {
		t.Fatalf("decoding %q into %v: encoding/json's error %v, ours %v", std.Bytes(), typ, stdErr, ourErr)
	}
	if !reflect.DeepEqual(stdV, ourV) {
		t.Fatalf("decoding %q into %v:\nencoding/json %#v\nours          %#v", std.Bytes(), typ, stdV, ourV)
	}
}
