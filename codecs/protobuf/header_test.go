package protobuf

import (
	"bytes"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/rpcbench/rpcbench/service"
)

// FuzzParseFrame checks the codec's reading of a Frame against protobuf-go's.
func FuzzParseFrame(f *testing.F) {
	valid, _ := proto.Marshal(&service.Frame{Seq: 7, Method: "Arith.Multiply", Error: "e", Body: []byte{8, 6, 16, 7}})
	f.Add(valid)
	// Repeated fields, an unknown field and a known number of the wrong type.
	b := protowire.AppendTag(nil, 1, protowire.VarintType)
	b = protowire.AppendVarint(b, 1)
	b = protowire.AppendTag(b, 9, protowire.Fixed32Type)
	b = protowire.AppendFixed32(b, 5)
	b = protowire.AppendTag(b, 2, protowire.VarintType)
	b = protowire.AppendVarint(b, 3)
	b = protowire.AppendTag(b, 1, protowire.VarintType)
	b = protowire.AppendVarint(b, 1<<40)
	b = protowire.AppendTag(b, 4, protowire.BytesType)
	b = protowire.AppendBytes(b, []byte("x"))
	f.Add(append(b, valid...))
	f.Add(valid[:len(valid)-1])
	f.Fuzz(func(t *testing.T, data []byte) {
		var want service.Frame
		wantErr := proto.Unmarshal(data, &want)
		var got header
		err := got.parse(data)
		if wantErr != nil {
			return // the codec may accept what protobuf-go refuses: strings that aren't UTF-8
		}
		if err != nil {
			t.Fatalf("parse failed (%v) where proto.Unmarshal succeeded", err)
		}
		if got.seq != want.Seq || got.method != want.Method || got.errText != want.Error || !bytes.Equal(got.body, want.Body) {
			t.Fatalf("parse = %d %q %q %x; proto.Unmarshal = %v", got.seq, got.method, got.errText, got.body, &want)
		}
	})
}
