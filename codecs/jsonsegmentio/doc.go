// Package jsonsegmentio makes the json codec (JSON-RPC 1.0,
// codecs/jsonrpc) into json-segmentio: jsonrpc.Codec{JSON: Library{}}
// encodes and decodes its JSON with github.com/segmentio/encoding/json
// instead of github.com/goccy/go-json: the same wire, byte for byte, by
// another library, so that a table shows what the library costs apart from
// the format. The message reader that bounds size and depth (DESIGN 3) is
// the json codec's.
//
// FuzzSameAsStdlib proves that its bytes are encoding/json's on the
// service's messages and that it decodes them to the same values. Of the
// other candidates, github.com/bytedance/sonic (v1.15.5, ConfigStd, which
// writes encoding/json's bytes) decodes the number -0 as +0 where
// encoding/json keeps the sign, so it fails that proof.
package jsonsegmentio
