// Package jsonsegmentio makes the json codec (JSON-RPC 1.0,
// codecs/jsonrpc) into json-segmentio: jsonrpc.Codec{JSON: Library{}}
// encodes and decodes its JSON with github.com/segmentio/encoding/json
// instead of github.com/goccy/go-json: the same wire, byte for byte, by
// another library, so that a table shows what the library costs apart from
// the format. The message reader that bounds size and depth (DESIGN 3) is
// the json codec's, and so is all the codec's own work.
//
// FuzzSameAsStdlib proves that its bytes are encoding/json's on the
// service's messages and that it decodes them to the same values.
//
// It is slower than json, and the difference is the library's: on a
// records:100 batch segmentio spends most of its encoding on the records'
// maps, which it sorts through reflect.Value.MapKeys and sort.Sort (8
// allocations a record; goccy sorts without allocating), and it decodes
// the batch at about 1.4× goccy's CPU. No library that writes
// encoding/json's bytes beat goccy on these messages (CPU per batch,
// encode and decode, BenchmarkCodec's machine, December 2026: goccy 24 and
// 88 µs, github.com/bytedance/sonic ConfigStd 59 and 85 µs,
// segmentio 65 and 127 µs, github.com/json-iterator/go 135 and 129 µs,
// github.com/go-json-experiment/json with its v1 options 86 and 215 µs,
// github.com/mailru/easyjson v0.9.2's code generated for the service's
// types, rewritten to write encoding/json's bytes and fuzzed against it
// (not kept, being slower), 29 and 118 µs: generated code does not help
// JSON here as msgp's helps MessagePack), so json keeps goccy and this
// variant shows how much the library alone moves the figures. sonic
// (v1.15.5) would besides fail the proof: it decodes the number -0 into a
// float64 as +0, where encoding/json keeps the sign.
package jsonsegmentio
