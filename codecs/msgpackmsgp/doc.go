// Package msgpackmsgp makes the msgpack codec (MessagePack-RPC,
// codecs/msgpack) into msgpack-msgp: msgpack.Codec{Body: Body{}} encodes and
// decodes the service's messages with the code
// github.com/tinylib/msgp generates for them (service/rpcbench_msgp.go,
// scripts/gen.sh) instead of the reflection of
// github.com/vmihailenco/msgpack/v5: the same wire, byte for byte, by
// another library, so that a table shows what the library costs apart from
// the format.
//
// The envelope ([0, msgid, method, params], [1, msgid, error, result]) and
// any body that is not a service message stay the library's, and so does
// the reader that bounds each message (DESIGN 3) before either decodes it.
// Bytes the generated code refuses (a foreign peer's string for bytes or
// integer for a float, Go field names, keys it does not know) are decoded
// by the library from the same message, so the codec accepts what msgpack
// accepts and fails with its errors.
package msgpackmsgp
