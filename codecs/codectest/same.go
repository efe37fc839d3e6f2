package codectest

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"testing"
)

// A Library is one library's way of encoding and decoding a format's values,
// for Same.
type Library struct {
	Encode func(v any) ([]byte, error)
	Decode func(data []byte, v any) error
}

// JSON is the Library of a JSON library's Encoder, which writes a value and
// a newline as encoding/json's does, and its Unmarshal.
func JSON[E interface{ Encode(any) error }](newEncoder func(io.Writer) E, unmarshal func([]byte, any) error) Library {
	return Library{
		Encode: func(v any) ([]byte, error) {
			var buf bytes.Buffer
			err := newEncoder(&buf).Encode(v)
			return buf.Bytes(), err
		},
		Decode: unmarshal,
	}
}

// EncodingJSON is encoding/json, the reference of the json codecs' bytes
// (DESIGN 3).
func EncodingJSON() Library { return JSON(json.NewEncoder, json.Unmarshal) }

// FuzzSame fuzzes Same over the values Values builds, seeded with
// AddValueSeeds; keep, when not nil, picks the values lib knows.
func FuzzSame(f *testing.F, ref, lib Library, canonical func([]byte) []byte, keep func(v any) bool) {
	AddValueSeeds(f)
	f.Fuzz(func(t *testing.T, a, b int64, score float64, flag bool, s string, payload []byte) {
		for _, v := range Values(a, b, score, flag, s, payload) {
			if keep == nil || keep(v) {
				Same(t, ref, lib, canonical, v)
			}
		}
	})
}

// Same is the differential test of a codec's library against its format's
// reference: it fails t unless lib encodes v to the bytes ref encodes it to
// (or both fail, as JSON does on a NaN), and unless each decodes the
// other's bytes into the value the reference decodes them into, as the
// reference encodes the two (nil and empty told apart, a NaN equal to
// itself, a lossy decoding, such as JSON's of invalid UTF-8, lossy alike).
// canonical, when not nil, rewrites an encoding so that two that differ
// only in the order of a map's entries, which Go leaves to chance, become
// equal.
func Same(t *testing.T, ref, lib Library, canonical func([]byte) []byte, v any) {
	t.Helper()
	if canonical == nil {
		canonical = func(b []byte) []byte { return b }
	}
	want, refErr := ref.Encode(v)
	got, libErr := lib.Encode(v)
	if (refErr == nil) != (libErr == nil) {
		t.Fatalf("encoding %#v: the reference's error %v, the library's %v", v, refErr, libErr)
	}
	if refErr != nil {
		return
	}
	if !bytes.Equal(canonical(want), canonical(got)) {
		t.Fatalf("encoding %#v:\nreference %q\nlibrary   %q", v, want, got)
	}
	// The bytes being equal, the reference's decoding of either is what
	// each decoding must match.
	typ := reflect.TypeOf(v).Elem()
	decode := func(by string, decode func([]byte, any) error, data []byte) []byte {
		t.Helper()
		decoded := reflect.New(typ).Interface()
		if err := decode(data, decoded); err != nil {
			t.Fatalf("%s decoding %q into %v: %v", by, data, typ, err)
		}
		again, err := ref.Encode(decoded)
		if err != nil {
			t.Fatalf("%s decoded %q into %#v, which the reference fails to encode: %v", by, data, decoded, err)
		}
		return canonical(again)
	}
	if refV, libV := decode("the reference", ref.Decode, got), decode("the library", lib.Decode, want); !bytes.Equal(refV, libV) {
		t.Fatalf("decoding %q into %v:\nthe reference's value encodes to %q\nthe library's               to %q", want, typ, refV, libV)
	}
}
