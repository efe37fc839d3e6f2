package thrift_test

import (
	"bytes"
	"context"
	"reflect"
	"testing"

	"github.com/apache/thrift/lib/go/thrift"
	"google.golang.org/protobuf/proto"

	"github.com/rpcbench/rpcbench/service"
	"github.com/rpcbench/rpcbench/service/thriftgen"
)

// message is a service type: a protobuf message with Thrift's methods.
type message interface {
	thrift.TStruct
	proto.Message
}

// TestTransplantedMethods checks service/rpcbench_thrift.go, which
// scripts/thrifttransplant makes: the protobuf types must write exactly the
// bytes the Thrift compiler's own types write, and read them back.
func TestTransplantedMethods(t *testing.T) {
	binary := make([]byte, 256)
	for i := range binary {
		binary[i] = byte(i)
	}
	values := []struct {
		name   string
		ours   message
		theirs thrift.TStruct
	}{
		{"Args", &service.Args{A: 6, B: -7}, &thriftgen.Args_{A: 6, B: -7}},
		{"Product", &service.Product{Value: -1 << 63}, &thriftgen.Product{Value: -1 << 63}},
		{"Quotient", &service.Quotient{Quo: 3, Rem: 1}, &thriftgen.Quotient{Quo: 3, Rem: 1}},
		{"EchoRequest", &service.EchoRequest{Payload: binary}, &thriftgen.EchoRequest{Payload: binary}},
		{"EchoReply empty", &service.EchoReply{}, &thriftgen.EchoReply{}},
		{"Record empty", &service.Record{}, &thriftgen.Record{}},
		{
			"Record",
			&service.Record{Id: 1 << 62, Name: "ünïcode ✓", Score: -0.5, Flag: true, Tags: []string{"", "b"}, Counters: map[string]int64{"k": -9}, Timestamp: 1700000000},
			&thriftgen.Record{ID: 1 << 62, Name: "ünïcode ✓", Score: -0.5, Flag: true, Tags: []string{"", "b"}, Counters: map[string]int64{"k": -9}, Timestamp: 1700000000},
		},
		{"RecordBatch", serviceBatch(), thriftBatch()},
	}
	for _, p := range protocols {
		for _, v := range values {
			t.Run(p.name+"/"+v.name, func(t *testing.T) {
				ctx := context.Background()
				ours, theirs := thrift.NewTMemoryBuffer(), thrift.NewTMemoryBuffer()
				if err := v.ours.Write(ctx, p.factory.GetProtocol(ours)); err != nil {
					t.Fatal(err)
				}
				if err := v.theirs.Write(ctx, p.factory.GetProtocol(theirs)); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(ours.Bytes(), theirs.Bytes()) {
					t.Fatalf("service.%s wrote\n% x\nthriftgen wrote\n% x", v.name, ours.Bytes(), theirs.Bytes())
				}
				got := reflect.New(reflect.TypeOf(v.ours).Elem()).Interface().(message)
				if err := got.Read(ctx, p.factory.GetProtocol(theirs)); err != nil {
					t.Fatal(err)
				}
				if !proto.Equal(got, v.ours) {
					t.Fatalf("read back %v; want %v", got, v.ours)
				}
			})
		}
	}
}
