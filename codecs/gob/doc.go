// Package gob is net/rpc's own gob codec, byte for byte: rpc.NewClient and
// rpc.ServeConn talk to it in both directions. What it adds is a bound on
// what a peer can make it allocate.
//
// encoding/gob reads a message's claimed size up front (up to 8 GB) and
// sizes a map by the count the peer sends, however few bytes follow it. So
// the codec reads gob's messages itself (an unsigned count, then that many
// bytes), refuses counts over the cap, lets a body's memory grow only as
// its bytes arrive, and checks every value message against the wire types
// the stream has defined before gob.Decoder sees it (see reader and
// wire.go). Interface values are refused: gob spreads them over several
// messages, and the rpcbench service has none.
package gob
