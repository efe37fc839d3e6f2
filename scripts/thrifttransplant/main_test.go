package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommittedOutputIsCurrent fails when service/rpcbench_thrift.go no
// longer matches what the generator makes of the committed inputs: rerun
// scripts/gen.sh.
func TestCommittedOutputIsCurrent(t *testing.T) {
	got, err := transplant("../../service/thriftgen/rpcbench.go", "../../service/rpcbench.pb.go")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../service/rpcbench_thrift.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("service/rpcbench_thrift.go is stale: run scripts/gen.sh")
	}
}

// TestRefusesUnknownReceiverUse: a generated method that reaches something
// on its receiver with no counterpart on the protobuf type (here an IsSet
// helper of an optional field) must stop the generator, not be copied.
func TestRefusesUnknownReceiverUse(t *testing.T) {
	dir := t.TempDir()
	thriftSrc := `package thriftgen

type Args_ struct {
	A *int64 ` + "`thrift:\"a,1\"`" + `
}

func (p *Args_) Write() error {
	if p.IsSetA() {
		return nil
	}
	return nil
}
`
	protoSrc := `package service

type Args struct {
	A int64 ` + "`protobuf:\"varint,1,opt,name=a,proto3\"`" + `
}
`
	thriftFile, protoFile := filepath.Join(dir, "t.go"), filepath.Join(dir, "p.go")
	if err := os.WriteFile(thriftFile, []byte(thriftSrc), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(protoFile, []byte(protoSrc), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := transplant(thriftFile, protoFile)
	if err == nil || !strings.Contains(err.Error(), "p.IsSetA") {
		t.Fatalf("transplant = %v; want an error naming p.IsSetA", err)
	}
}
