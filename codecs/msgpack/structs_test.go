package msgpack

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// TestFieldCodecsWriteTheLibrarysBytes checks the typed field encoders
// against the library's reflection, with compact ints as the codec uses
// them, and the decoder against the values written.
func TestFieldCodecsWriteTheLibrarysBytes(t *testing.T) {
	tests := []struct {
		v   any
		enc func(*msgpack.Encoder, reflect.Value) error
		dec func(*msgpack.Decoder, reflect.Value) error
	}{
		{int64(-1 << 40), encodeInt, decodeInt},
		{int64(5), encodeInt, decodeInt},
		{"ünï", encodeString, decodeString},
		{"", encodeString, decodeString},
		{0.25, encodeFloat, decodeFloat},
		{true, encodeBool, decodeBool},
		{[]string(nil), encodeStrings, nil},
		{[]string{}, encodeStrings, nil},
		{[]string{"", "a", "ünï", string(make([]byte, 300))}, encodeStrings, nil},
		{map[string]int64(nil), encodeCounters, decodeCounters},
		{map[string]int64{}, encodeCounters, decodeCounters},
		{map[string]int64{"k": -1 << 40}, encodeCounters, decodeCounters},
		{map[string]int64{"": 127}, encodeCounters, decodeCounters},
		{map[string]int64{"x": 1<<63 - 1}, encodeCounters, decodeCounters},
	}
	for _, tt := range tests {
		want := encodeWith(t, func(e *msgpack.Encoder) error { return e.EncodeValue(reflect.ValueOf(tt.v)) })
		// Addressable, as a field of a message reached through a pointer is.
		field := reflect.New(reflect.TypeOf(tt.v)).Elem()
		field.Set(reflect.ValueOf(tt.v))
		got := encodeWith(t, func(e *msgpack.Encoder) error { return tt.enc(e, field) })
		if !bytes.Equal(got, want) {
			t.Errorf("%#v: wrote % x; the library writes % x", tt.v, got, want)
		}
		if tt.dec == nil {
			continue
		}
		back := reflect.New(reflect.TypeOf(tt.v)).Elem()
		if err := tt.dec(msgpack.NewDecoder(bytes.NewReader(got)), back); err != nil || !reflect.DeepEqual(back.Interface(), tt.v) {
			t.Errorf("%#v: decoded %#v, %v", tt.v, back.Interface(), err)
		}
	}
}

func encodeWith(t *testing.T, fn func(*msgpack.Encoder) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	e := msgpack.NewEncoder(&buf)
	e.UseCompactInts(true)
	if err := fn(e); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
