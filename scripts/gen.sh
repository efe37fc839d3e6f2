#!/usr/bin/env bash
# Regenerates the committed code from the IDL in service/:
#   service/*.pb.go            protoc + protoc-gen-go (pinned below)
#   service/*_grpc.pb.go       protoc + protoc-gen-go-grpc (pinned below), for the gRPC peer
#   service/rpcbench_vtproto.pb.go  protoc + protoc-gen-go-vtproto (pinned below): SizeVT,
#                              MarshalToSizedBufferVT and UnmarshalVT, the protobuf codec's
#                              reflection-free encoder and decoder
#   service/thriftgen/         the Thrift compiler's own Go output (0.17.0, Debian)
#   service/rpcbench_thrift.go its Read/Write methods, moved onto the protobuf types
#   service/rpcbench_msgp.go   github.com/tinylib/msgp (pinned below): MarshalMsg and
#                              UnmarshalMsg, the msgpack-msgp codec's reflection-free bodies
# Installs what it needs; running it twice leaves no diff.
set -euo pipefail
cd "$(dirname "$0")/.."

PROTOC_GEN_GO_VERSION=v1.36.12
PROTOC_GEN_GO_GRPC_VERSION=v1.6.2
# The version grpc-go in go.mod already requires: the generated code needs
# its protohelpers package, and an older pin would downgrade grpc-go.
PROTOC_GEN_GO_VTPROTO_VERSION=v0.6.1-0.20240319094008-0393e58bdf10
# The same version as go.mod's github.com/tinylib/msgp, whose runtime the
# generated code calls.
MSGP_VERSION=v1.6.5

need() { command -v "$1" >/dev/null 2>&1; }
if ! need protoc || ! need thrift; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq protobuf-compiler thrift-compiler >/dev/null
fi
thrift --version | grep -q '0.17.0' || { echo "gen.sh: need the Thrift 0.17.0 compiler (go.mod pins github.com/apache/thrift v0.17.0), have: $(thrift --version)" >&2; exit 1; }
GOBIN="$PWD/.bin" go install "google.golang.org/protobuf/cmd/protoc-gen-go@$PROTOC_GEN_GO_VERSION"
GOBIN="$PWD/.bin" go install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@$PROTOC_GEN_GO_GRPC_VERSION"
GOBIN="$PWD/.bin" go install "github.com/planetscale/vtprotobuf/cmd/protoc-gen-go-vtproto@$PROTOC_GEN_GO_VTPROTO_VERSION"
GOBIN="$PWD/.bin" go install "github.com/tinylib/msgp@$MSGP_VERSION"

PATH="$PWD/.bin:$PATH" protoc --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative service/*.proto

rewrite() { # FILE PATTERN REPLACEMENT: sed -E over generated code, which must match
  grep -Eq "$2" "$1" || { echo "gen.sh: $1 has no match for $2: check the rewrite against its generator's pinned version" >&2; exit 1; }
  sed -i -E "s/$2/$3/g" "$1"
}

PATH="$PWD/.bin:$PATH" protoc --go-vtproto_out=. --go-vtproto_opt=paths=source_relative,features=marshal+unmarshal+size service/rpcbench.proto
# UnmarshalVT is the protobuf codec's decoder, which must decode what
# proto.Unmarshal decodes into the same message. Where it reads input
# otherwise it is rewritten to fail, and the codec then decodes with
# proto.Unmarshal, for its result or its error (FuzzUnmarshalSameAsProto in
# codecs/protobuf): a string that is not UTF-8 (proto3 refuses it); a
# varint whose tenth byte is over 1 (it would drop the bits); a field
# number past 2^29-1 (it would wrap); a map entry's key or value of another
# wire type (protobuf-go skips it; the schema's one map is
# map<string, int64>: a key of bytes, a value of varint); a map entry's
# field that runs past the entry's end (its reads are bounded by the
# message's end: l is shadowed by the entry's); and an unknown
# field, which protohelpers.Skip skips by looser rules than skipField in
# service/vtproto.go, protobuf-go's, and keeps with its tag as sent where
# protobuf-go writes the tag anew (appendUnknown).
vt=service/rpcbench_vtproto.pb.go
rewrite $vt '^([[:blank:]]+)(.*[ (])string\(dAtA\[([^]]+)\]\)(.*)$' '\1if !utf8.Valid(dAtA[\3]) {\n\1\treturn errInvalidUTF8\n\1}\n\1\2string(dAtA[\3])\4'
rewrite $vt '^([[:blank:]]+)b := dAtA\[iNdEx\]$' '\1b := dAtA[iNdEx]\n\1if shift == 63 \&\& b > 1 {\n\1\treturn protohelpers.ErrIntOverflow\n\1}'
rewrite $vt 'fieldNum := int32\(wire >> 3\)' 'fieldNum := fieldNumber(wire)'
rewrite $vt '^([[:blank:]]+)var stringLenmapkey uint64$' '\1if wire\&7 != 2 {\n\1\treturn errMapEntry\n\1}\n\1var stringLenmapkey uint64'
rewrite $vt '^([[:blank:]]+)\} else if fieldNum == 2 \{$' '\1} else if fieldNum == 2 {\n\1\tif wire\&7 != 0 {\n\1\t\treturn errMapEntry\n\1\t}\n\1\tmapvalue = 0 \/\/ a value sent twice: the last one counts, as in protobuf-go'
rewrite $vt '^([[:blank:]]+)for iNdEx < postIndex \{$' '\1l := postIndex \/\/ the entry ends here, not at the message'"'"'s end\n\1for iNdEx < postIndex {'
rewrite $vt 'protohelpers\.Skip\(' 'skipField('
rewrite $vt 'm\.unknownFields = append\(m\.unknownFields, dAtA\[iNdEx:iNdEx\+skippy\]\.\.\.\)' 'm.unknownFields = appendUnknown(m.unknownFields, dAtA[iNdEx:iNdEx+skippy])'
sed -i -E '0,/^import \($/s//import (\n\t"unicode\/utf8"/' $vt # for the first rewrite
gofmt -w $vt

# JSON carries every field, zero values included ({"value":0}, never {}), as
# net/rpc/jsonrpc does with a plain Go struct (DESIGN 3): a JSON-RPC client
# reads result.value and must not find it missing. protoc-gen-go tags every
# field `json:"name,omitempty"` and has no option against it, so the tags are
# rewritten here, in the committed code, rather than worked around in each
# place that encodes these types with encoding/json (the json codec, the
# stdlib-json peer, which is net/rpc/jsonrpc unchanged, and rpcbench call's
# output). protobuf-go never reads the json tags (it reads the protobuf tags
# and the descriptors), so the protobuf wire is untouched. Deterministic and
# idempotent: a second run finds nothing to rewrite.
sed -i -E 's/(json:"[^"]*),omitempty"/\1"/g' service/*.pb.go

rm -rf service/thriftgen
thrift --gen go:package_prefix=github.com/rpcbench/rpcbench/service/,skip_remote -out service service/rpcbench.thrift
gofmt -w service/thriftgen
go run ./scripts/thrifttransplant -thrift service/thriftgen/rpcbench.go -proto service/rpcbench.pb.go -o service/rpcbench_thrift.go

# msgp writes the msgpack codec's wire (codecs/msgpack: every exported field
# under its JSON name, nil slices and maps as nil) when it reads each field
# as tagged msg:"NAME,allownil". It reads a copy of the protobuf types with
# those tags added; the committed types keep theirs (the generated code
# never reads tags). Three things it does differently are rewritten after
# it, each checked so that a new msgp that changes them fails here:
#   - an int64 >= 128 as a signed int where the msgpack codec (the library
#     with UseCompactInts) writes the shortest unsigned one: appendInt64 in
#     service/msgp.go writes it that way;
#   - room for a map made for the count the message declares, where an
#     entry of two bytes on the wire takes tens in Go: capped at
#     maxMapHint, as the msgpack codec caps it;
#   - a key it does not know (a Go field name, which the msgpack codec also
#     reads, or a foreign peer's extra key) is an error rather than
#     skipped: the msgpack-msgp codec then lets the library decode the
#     same bytes, as it does whatever else msgp refuses.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed -E 's/json:"([^"]*)"/json:"\1" msg:"\1,allownil"/' service/rpcbench.pb.go >"$tmp/rpcbench.pb.go"
# Pointer receivers throughout: the protobuf types hold a mutex (go vet
# copylocks), and the codec has pointers in hand.
.bin/msgp -file "$tmp/rpcbench.pb.go" -o "$tmp/rpcbench_msgp.go" -io=false -tests=false -d pointer >/dev/null
rewrite "$tmp/rpcbench_msgp.go" 'msgp\.AppendInt64\(' 'appendInt64('
rewrite "$tmp/rpcbench_msgp.go" 'msgp\.Skip\(bts\)' 'unknownField(bts)'
rewrite "$tmp/rpcbench_msgp.go" 'make\((map\[[^]]+\][][*A-Za-z0-9]+), (zb[0-9]+)\)' 'make(\1, min(\2, maxMapHint))'
gofmt <"$tmp/rpcbench_msgp.go" >service/rpcbench_msgp.go
