package profile

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/pprof/profile"

	"github.com/rpcbench/rpcbench/measure"
)

// Rules decide which category of measure.Categories a CPU sample's cost
// belongs to, from the frames of its stack: the innermost frame that
// any rule matches decides, and within one frame the first rule in
// table order. So a read system call under bufio under a codec's
// decoder is a system call, bufio's own copying under it is framing,
// and the decoder's own work (its allocations included: malloc is
// nobody's category, GC assists inside it are GC's) is the codec's.
//
// The one table, in order:
//
//	category  a frame matches when its function is
//	gc        runtime.gc*, runtime.(*gc*, runtime._GC, the sweeper and
//	          scavenger (bgsweep, sweepone, (*mspan).sweep,
//	          (*sweepLocked).sweep, bgscavenge), markroot, scanobject,
//	          greyobject, the write barrier's buffer (wbBuf*)
//	sched     the scheduler's hand-offs: park_m, gopark, ready, goready,
//	          findRunnable, schedule, execute, netpoll*, futex*,
//	          note{sleep,tsleep,wakeup}, wakep, startm, stopm, mPark,
//	          mcall, stealWork, runqsteal, runqgrab, resetspinning,
//	          usleep, osyield, gosched*, goschedImpl, exitsyscall0,
//	          handoffp, newproc, goexit0, sysmon, retake, checkTimers,
//	          (*timers), sema{sleep,wakeup}, injectglist (all runtime.)
//	syscall   syscall.*, internal/poll.*, net.(*conn).Read/Write,
//	          net.(*netFD).Read/Write
//	framing   bufio.*, rpcbench's codecs/frame, golang.org/x/net/http2
//	          (gRPC's framer)
//	codec     the package of every codec in the registry (codecs.Names:
//	          built-in and registered from other modules alike), the
//	          rest of rpcbench's codecs/ (their shared helpers), the
//	          generated service code (service/thriftgen, the service's
//	          Marshal/Unmarshal/Size methods), and the serialisation
//	          libraries under the built-in codecs and the peers, which
//	          the standard library's gob and JSON-RPC peers reach
//	          through net/rpc's own codecs: encoding/gob, encoding/json,
//	          github.com/vmihailenco, google.golang.org/protobuf,
//	          github.com/apache/thrift, google.golang.org/grpc/encoding.
//	          A codec from another module needs no entry: its library's
//	          frames match nothing, so its codec package's frames above
//	          them decide.
//	rpc       net/rpc.*, google.golang.org/grpc (the rest of gRPC)
//	harness   rpcbench's harness and measure packages, hdrhistogram
//	other     everything else: the service's handlers, the peers' and
//	          the floor's own loops, memmove with nothing above it.
//
// A codec sample is an encode or a decode by the innermost codec frame
// whose name past its package says so: unmarshal, decode, read or recv
// is a decode; marshal, encode, write or send an encode (the words of
// the net/rpc codec methods ReadResponseBody, WriteRequest ..., which
// are always on the stack, and of the libraries under them). A codec
// sample no frame decides (none seen in practice) counts as an encode.
type Rules struct {
	table []rule
	codec func(fn string) bool // the codec rule's match, for direction
}

type rule struct {
	category string
	match    func(fn string) bool
}

// NewRules returns the table with codecPkgs, the import paths of the
// registered codecs' packages, in the codec rule.
func NewRules(codecPkgs []string) *Rules {
	codecPrefixes := []string{
		"github.com/rpcbench/rpcbench/codecs/", "github.com/rpcbench/rpcbench/service/thriftgen.",
		"encoding/gob.", "encoding/json.", "github.com/vmihailenco/", "google.golang.org/protobuf/",
		"github.com/apache/thrift/", "google.golang.org/grpc/encoding",
	}
	for _, p := range codecPkgs {
		codecPrefixes = append(codecPrefixes, p+".")
	}
	codec := func(fn string) bool { return prefix(codecPrefixes...)(fn) || generated(fn) }
	return &Rules{codec: codec, table: []rule{
		{"gc", prefix("runtime.gc", "runtime.(*gc", "runtime._GC", "runtime.bgsweep", "runtime.sweepone", "runtime.(*mspan).sweep",
			"runtime.(*sweepLocked).sweep", "runtime.bgscavenge", "runtime.markroot", "runtime.scanobject", "runtime.greyobject",
			"runtime.wbBuf", "runtime.(*wbBuf)")},
		{"sched", prefix("runtime.park_m", "runtime.gopark", "runtime.ready", "runtime.goready", "runtime.findRunnable",
			"runtime.schedule", "runtime.execute", "runtime.netpoll", "runtime.futex", "runtime.notesleep", "runtime.notetsleep",
			"runtime.notewakeup", "runtime.wakep", "runtime.startm", "runtime.stopm", "runtime.mPark", "runtime.mcall",
			"runtime.stealWork", "runtime.runqsteal", "runtime.runqgrab", "runtime.resetspinning", "runtime.usleep",
			"runtime.osyield", "runtime.gosched", "runtime.goschedImpl", "runtime.exitsyscall0", "runtime.handoffp",
			"runtime.newproc", "runtime.goexit0", "runtime.sysmon", "runtime.retake", "runtime.checkTimers", "runtime.(*timers)",
			"runtime.semasleep", "runtime.semawakeup", "runtime.injectglist")},
		{"syscall", prefix("syscall.", "internal/poll.", "net.(*conn).Read", "net.(*conn).Write", "net.(*netFD).Read", "net.(*netFD).Write")},
		{"framing", prefix("bufio.", "github.com/rpcbench/rpcbench/codecs/frame.", "golang.org/x/net/http2.")},
		{"codec", codec},
		{"rpc", prefix("net/rpc.", "google.golang.org/grpc.", "google.golang.org/grpc/")},
		{"harness", prefix("github.com/rpcbench/rpcbench/harness", "github.com/rpcbench/rpcbench/measure.", "github.com/HdrHistogram/")},
	}}
}

func prefix(ps ...string) func(string) bool {
	return func(fn string) bool {
		return slices.ContainsFunc(ps, func(p string) bool { return strings.HasPrefix(fn, p) })
	}
}

// generated reports whether fn is serialisation code generated into the
// service package (protoc-gen-go, vtprotobuf): its Marshal, Unmarshal
// and Size methods.
func generated(fn string) bool {
	rest, ok := strings.CutPrefix(fn, "github.com/rpcbench/rpcbench/service.")
	return ok && strings.Contains(rest, ").") && (strings.Contains(rest, "arshal") || strings.Contains(rest, "Size"))
}

// Category returns the category of a sample whose stack is frames,
// innermost first (inlined frames as their own).
func (r *Rules) Category(frames []string) string {
	for i, fn := range frames {
		for _, ru := range r.table {
			if !ru.match(fn) {
				continue
			}
			if ru.category == "codec" {
				return r.direction(frames[i:])
			}
			return ru.category
		}
	}
	return "other"
}

// direction decides a codec sample by its innermost codec frame that
// names a direction.
func (r *Rules) direction(frames []string) string {
	for _, fn := range frames {
		if !r.codec(fn) {
			continue
		}
		name := strings.ToLower(fn[strings.LastIndex(fn, "/")+1:])
		_, name, _ = strings.Cut(name, ".") // past the package: "(*decoder).decodestruct"
		for _, d := range []struct{ dir, words string }{{"decode", "unmarshal decode read recv"}, {"encode", "marshal encode write send"}} {
			if slices.ContainsFunc(strings.Fields(d.words), func(w string) bool { return strings.Contains(name, w) }) {
				return d.dir
			}
		}
	}
	return "encode"
}

// Breakdown splits the CPU samples of p, a profile of a repetition that
// completed calls calls (Calls) and used cpu of process CPU (getrusage),
// into categories per call.
func (r *Rules) Breakdown(p *profile.Profile, cpu time.Duration) (*measure.Breakdown, error) {
	calls, err := Calls(p)
	if err != nil {
		return nil, err
	}
	idx := slices.IndexFunc(p.SampleType, func(t *profile.ValueType) bool { return t.Type == "cpu" })
	if idx < 0 {
		return nil, fmt.Errorf("profile: no cpu samples: not a CPU profile")
	}
	count := slices.IndexFunc(p.SampleType, func(t *profile.ValueType) bool { return t.Type == "samples" })
	b := &measure.Breakdown{Calls: calls, CPU: cpu / time.Duration(calls), PerCall: make(map[string]float64)}
	var frames []string
	for _, s := range p.Sample {
		frames = frames[:0]
		for _, loc := range s.Location {
			for _, l := range loc.Line {
				if l.Function != nil {
					frames = append(frames, l.Function.Name)
				}
			}
		}
		b.PerCall[r.Category(frames)] += float64(s.Value[idx]) / float64(calls)
		if count >= 0 {
			b.Samples += s.Value[count]
		}
	}
	return b, nil
}
