package profile_test

import (
	"math"
	"testing"
	"time"

	rprof "github.com/rpcbench/rpcbench/harness/profile"
)

// One case per rule of the table, and per way a codec sample is told an
// encode or a decode; frames are innermost first.
func TestEachRuleDecidesItsCategory(t *testing.T) {
	const msgpackCodec = "github.com/rpcbench/rpcbench/codecs/msgpack"
	r := rprof.NewRules([]string{msgpackCodec, "example.com/team/cbor"})
	for _, tc := range []struct {
		name   string
		frames []string
		want   string
	}{
		{"a GC assist inside an allocation by the encoder is GC", []string{"runtime.scanobject", "runtime.gcDrainN", "runtime.gcAssistAlloc1", "runtime.mallocgc", msgpackCodec + ".(*clientCodec).WriteRequest"}, "gc"},
		{"the background mark worker is GC", []string{"runtime.memclrNoHeapPointers", "runtime.gcBgMarkWorker"}, "gc"},
		{"the sweeper is GC", []string{"runtime.(*mspan).sweep", "runtime.bgsweep"}, "gc"},
		{"a futex wake from the scheduler is the scheduler", []string{"runtime.futex", "runtime.futexwakeup", "runtime.wakep", "runtime.ready", "net/rpc.(*Client).send"}, "sched"},
		{"netpoll's epoll_wait is the scheduler, not a read", []string{"internal/runtime/syscall.Syscall6", "internal/runtime/syscall.EpollWait", "runtime.netpoll", "runtime.findRunnable", "runtime.schedule"}, "sched"},
		{"a park is the scheduler", []string{"runtime.park_m", "runtime.mcall"}, "sched"},
		{"a read system call under bufio under a decoder is a system call", []string{"internal/runtime/syscall.Syscall6", "syscall.RawSyscall6", "syscall.Syscall", "syscall.read", "internal/poll.(*FD).Read", "net.(*netFD).Read", "net.(*conn).Read", "bufio.(*Reader).Read", msgpackCodec + ".(*serverCodec).ReadRequestHeader"}, "syscall"},
		{"net.(*conn).Write's own work is a system call's", []string{"net.(*conn).Write", "stack.floorCall"}, "syscall"},
		{"bufio's copy is framing", []string{"runtime.memmove", "bufio.(*Writer).Write", msgpackCodec + ".(*clientCodec).WriteRequest"}, "framing"},
		{"rpcbench's frame package is framing, not codec", []string{"github.com/rpcbench/rpcbench/codecs/frame.(*Reader).Next", "github.com/rpcbench/rpcbench/codecs/protobuf.(*clientCodec).ReadResponseHeader"}, "framing"},
		{"gRPC's HTTP/2 framer is framing", []string{"golang.org/x/net/http2.(*Framer).ReadFrame", "google.golang.org/grpc/internal/transport.(*http2Client).reader"}, "framing"},
		{"the library's encoder under a codec is an encode", []string{"runtime.mallocgc", "github.com/vmihailenco/msgpack/v5.(*Encoder).EncodeBytes", msgpackCodec + ".(*clientCodec).WriteRequest"}, "encode"},
		{"the library's decoder is a decode", []string{"github.com/vmihailenco/msgpack/v5.(*Decoder).DecodeBytes", msgpackCodec + ".(*serverCodec).ReadRequestBody"}, "decode"},
		{"a codec frame without a direction takes the one above it", []string{msgpackCodec + ".frameLen", msgpackCodec + ".(*clientCodec).ReadResponseHeader"}, "decode"},
		{"protobuf's Unmarshal is a decode although it says Marshal", []string{"google.golang.org/protobuf/proto.UnmarshalOptions.unmarshal", "github.com/rpcbench/rpcbench/codecs/protobuf.(*serverCodec).ReadRequestBody"}, "decode"},
		{"encoding/gob under net/rpc's own gob codec is the codec's", []string{"encoding/gob.(*Encoder).encodeStruct", "net/rpc.(*gobServerCodec).WriteResponse"}, "encode"},
		{"gRPC's proto codec is the codec's", []string{"google.golang.org/grpc/encoding/proto.(*codecV2).Unmarshal", "google.golang.org/grpc.recvAndDecompress"}, "decode"},
		{"Thrift's protocol is the codec's", []string{"github.com/apache/thrift/lib/go/thrift.(*TCompactProtocol).WriteI64", "github.com/rpcbench/rpcbench/service/thriftgen.(*Args).Write"}, "encode"},
		{"generated vtprotobuf code in the service package is the codec's", []string{"github.com/rpcbench/rpcbench/service.(*EchoRequest).MarshalToSizedBufferVT", "github.com/rpcbench/rpcbench/codecs/protobuf.(*clientCodec).WriteRequest"}, "encode"},
		{"a codec registered from another module is the codec's, its library by the codec's frame", []string{"github.com/fxamacker/cbor/v2.(*decodeState).value", "example.com/team/cbor.(*clientCodec).ReadResponseBody"}, "decode"},
		{"a codec sample nothing directs is an encode", []string{msgpackCodec + ".helper"}, "encode"},
		{"net/rpc's own work is net/rpc's", []string{"runtime.mapaccess1", "net/rpc.(*Server).readRequestHeader"}, "rpc"},
		{"gRPC's machinery is with net/rpc's", []string{"google.golang.org/grpc.(*Server).handleStream"}, "rpc"},
		{"the harness's recording is rpcbench's", []string{"github.com/HdrHistogram/hdrhistogram-go.(*Histogram).RecordValue", "github.com/rpcbench/rpcbench/harness.(*recorder).record"}, "harness"},
		{"the clock read by the harness is rpcbench's", []string{"runtime.nanotime", "time.Now", "github.com/rpcbench/rpcbench/harness.(*driver).call"}, "harness"},
		{"a service handler is other", []string{"runtime.memmove", "github.com/rpcbench/rpcbench/service.(*Echo).Echo", "reflect.Value.call"}, "other"},
		{"an async preemption is blamed below it", []string{"runtime.asyncPreempt", "bufio.(*Reader).Read"}, "framing"},
		{"no frame at all is other", nil, "other"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := r.Category(tc.frames); got != tc.want {
				t.Errorf("Category = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestBreakdownAddsUpToTheProfile(t *testing.T) {
	// 1000 calls: 3ms of encode, 5ms of reads, 2ms elsewhere.
	p := synthetic(1000, map[string]int64{
		"github.com/vmihailenco/msgpack/v5.(*Encoder).EncodeBytes": 3_000_000,
		"syscall.read": 5_000_000,
		"main.work":    2_000_000,
	})
	b, err := rprof.NewRules(nil).Breakdown(p, 12*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"encode": 3000, "syscall": 5000, "other": 2000}
	for k, v := range want {
		if math.Abs(b.PerCall[k]-v) > 1e-9 {
			t.Errorf("%s = %v ns/call, want %v", k, b.PerCall[k], v)
		}
	}
	if len(b.PerCall) != len(want) || b.Total() != 10_000 || b.CPU != 12*time.Microsecond || b.Calls != 1000 || b.Samples != 0 {
		t.Errorf("breakdown %+v, total %v", b, b.Total())
	}
	if got := b.Share("syscall"); got != 0.5 {
		t.Errorf("syscall share %v, want 0.5", got)
	}
	p.SampleType = p.SampleType[:1]
	if _, err := rprof.NewRules(nil).Breakdown(p, 0); err == nil {
		t.Error("a profile without cpu samples broke down")
	}
}
