package service

import (
	"errors"

	"google.golang.org/protobuf/encoding/protowire"
)

// The vtproto code generated in rpcbench_vtproto.pb.go (scripts/gen.sh)
// calls these where it would otherwise read input otherwise than
// proto.Unmarshal: it fails instead, for its caller to decode the input
// with proto.Unmarshal.

var (
	// errInvalidUTF8 is UnmarshalVT's error for a string field that is not
	// UTF-8, which proto3 does not allow.
	errInvalidUTF8 = errors.New("proto: string field contains invalid UTF-8")
	// errMapEntry is UnmarshalVT's error for a map entry's key or value of
	// another wire type, which protobuf-go skips.
	errMapEntry = errors.New("proto: map entry field of another wire type")
)

// fieldNumber returns the field number of a tag, 0 (no field) for one past
// protowire.MaxValidNumber, which the generated code would wrap into range.
func fieldNumber(tag uint64) int32 {
	if tag>>3 > uint64(protowire.MaxValidNumber) {
		return 0
	}
	return int32(tag >> 3)
}

// skipField returns the length of the field at the start of b, an unknown
// one, as protobuf-go reads it: with its rules for tags, varints and groups.
func skipField(b []byte) (int, error) {
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 {
		return 0, protowire.ParseError(n)
	}
	if num > protowire.MaxValidNumber {
		return 0, errors.New("proto: invalid field number")
	}
	m := protowire.ConsumeFieldValue(num, typ, b[n:])
	if m < 0 {
		return 0, protowire.ParseError(m)
	}
	return n + m, nil
}

// appendUnknown appends the unknown field f, whole, to b as protobuf-go
// keeps it: its tag written anew, in the fewest bytes, then its value as it
// came.
func appendUnknown(b, f []byte) []byte {
	num, typ, n := protowire.ConsumeTag(f)
	return append(protowire.AppendTag(b, num, typ), f[n:]...)
}
