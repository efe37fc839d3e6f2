package protobuf_test

import (
	"bytes"
	"reflect"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/rpcbench/rpcbench/codecs/codectest"
	"github.com/rpcbench/rpcbench/codecs/protobuf"
	"github.com/rpcbench/rpcbench/service"
)

// FuzzUnmarshalSameAsProto is the proof that the codec's decoder (vtproto's
// generated UnmarshalVT, falling back to proto.Unmarshal) decodes any bytes
// into every service message exactly as proto.Unmarshal does: both fail, or
// both succeed with messages that encode to the same bytes (unknown fields,
// NaN payloads and map entries included). It is seeded with the encodings
// of the service's values and with inputs where UnmarshalVT was looser than
// protobuf-go before scripts/gen.sh rewrote it.
func FuzzUnmarshalSameAsProto(f *testing.F) {
	for _, v := range codectest.Values(-200, 1<<40, -0.5, true, "a,bb,\u00e9", []byte("payload")) {
		if m, ok := v.(proto.Message); ok {
			b, err := proto.Marshal(m)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	tag := func(num protowire.Number, typ protowire.Type) []byte { return protowire.AppendTag(nil, num, typ) }
	f.Add(append(tag(2, protowire.BytesType), 2, 0xff, 'x'))                                                // a string that is not UTF-8
	f.Add(append(tag(1, protowire.VarintType), 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02)) // a varint past 64 bits
	f.Add(append(tag(9, protowire.VarintType), 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f)) // in an unknown field
	f.Add([]byte{0x88, 0x80, 0x80, 0x80, 0x20, 0x01})                                                       // a field number past 2^29
	f.Add(append(tag(1, protowire.BytesType), 0))                                                           // a known field of another wire type
	f.Add(append(tag(9, protowire.StartGroupType), tag(9, protowire.EndGroupType)...))                      // an unknown group
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, typ := range service.Messages() {
			want := reflect.New(typ).Interface().(proto.Message)
			got := reflect.New(typ).Interface().(proto.Message)
			wantErr := proto.Unmarshal(data, want)
			gotErr := protobuf.Unmarshal(data, got)
			if (wantErr == nil) != (gotErr == nil) {
				t.Fatalf("decoding %x into %v: proto.Unmarshal's error %v, the codec's %v", data, typ, wantErr, gotErr)
			}
			if wantErr != nil {
				continue
			}
			deterministic := proto.MarshalOptions{Deterministic: true}
			wantB, err1 := deterministic.Marshal(want)
			gotB, err2 := deterministic.Marshal(got)
			if err1 != nil || err2 != nil || !bytes.Equal(wantB, gotB) {
				t.Fatalf("decoding %x into %v:\nproto.Unmarshal %v (%x, %v)\nthe codec       %v (%x, %v)", data, typ, want, wantB, err1, got, gotB, err2)
			}
		}
	})
}
