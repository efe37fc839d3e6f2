// Package protobuf is a net/rpc codec that sends each message as one
// protobuf frame: a 4-byte big-endian length, then an encoded
// rpcbench.Frame{seq, method, error, body} (service/frame.proto) whose body
// is the encoded argument or reply. Any protobuf library can read the
// stream with the two .proto files.
//
// Arguments and replies are proto.Messages. Other values, such as the
// generic arguments of rpcbench call to a method it doesn't know, travel as
// a google.protobuf.Value, and a reply into an *any is read as one.
package protobuf
