// Mirror of rpcbench.proto for Thrift, with the same field ids. The Go types
// of the service are protoc-gen-go's; the Thrift compiler's Read/Write
// methods are transplanted onto them (scripts/gen.sh), and its own types in
// service/thriftgen serve the native Thrift peer and the interop tests.
namespace go thriftgen

struct Args {
  1: i64 a
  2: i64 b
}

struct Product {
  1: i64 value
}

struct Quotient {
  1: i64 quo
  2: i64 rem
}

struct EchoRequest {
  1: binary payload
}

struct EchoReply {
  1: binary payload
}

struct Record {
  1: i64 id
  2: string name
  3: double score
  4: bool flag
  5: list<string> tags
  6: map<string, i64> counters
  7: i64 timestamp
}

struct RecordBatch {
  1: list<Record> records
}

struct StatsRequest {
  1: bool gc
}

struct ServerStats {
  1: i64 allocs
  2: i64 alloc_bytes
  3: i64 cpu_ns
  4: i64 goroutines
  5: i64 rss_bytes
  6: i64 ctx_switches
  7: i64 rw_syscalls
  8: string instance
}

struct KeyValue {
  1: string key
  2: string value
  3: i64 version
}

struct WatchRequest {
  1: string key
  2: i64 timeout_ms
}

// Argument fields are named req: the Thrift 0.17 compiler rejects "args".
service Arith {
  Product Multiply(1: Args req)
  Quotient Divide(1: Args req)
}

service Echo {
  EchoReply Echo(1: EchoRequest req)
  RecordBatch Records(1: RecordBatch req)
}

// Watch blocks until the key changes and returns the change, or fails with
// an exception whose text contains "timeout".
service KV {
  KeyValue Set(1: KeyValue req)
  KeyValue Get(1: KeyValue req)
  KeyValue Watch(1: WatchRequest req)
}
