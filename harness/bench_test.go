package harness_test

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/harness"
	"github.com/rpcbench/rpcbench/payload"
	"github.com/rpcbench/rpcbench/stack"
	"github.com/rpcbench/rpcbench/transports"
)

// BenchmarkRPC measures what rpcbench run measures, as Go benchmarks,
// under the names and units rpcbench run --format bench writes:
//
//	go test ./harness -bench RPC -count 10 | benchstat -
//
// b.N is the number of calls; the metrics are DESIGN 6's.
func BenchmarkRPC(b *testing.B) {
	var stacks []stack.Stack
	for _, name := range codecs.Names() {
		c, err := codecs.Lookup(name)
		if err != nil {
			b.Fatal(err)
		}
		stacks = append(stacks, stack.Codec{Codec: c})
	}
	for _, name := range harness.PeerNames() {
		s, err := harness.LookupPeer(name)
		if err != nil {
			b.Fatal(err)
		}
		stacks = append(stacks, s)
	}
	tcp, err := transports.Lookup("tcp")
	if err != nil {
		b.Fatal(err)
	}
	for _, ps := range []string{"arith", "bytes:16", "bytes:1KiB", "bytes:64KiB", "records:100"} {
		p, err := payload.Parse(ps)
		if err != nil {
			b.Fatal(err)
		}
		for _, conc := range []int{1, 16} {
			for _, s := range stacks {
				harness.Benchmark(b, harness.Config{
					Stack: s, Transport: tcp, Payload: p,
					Concurrency: conc, Conns: min(conc, 4), Pipeline: 1, Timeout: 10 * time.Second,
				})
			}
		}
	}
}

// BenchmarkFloor compares the harness's floor with a bare, hand-written
// ping-pong of the same bytes on one loopback TCP connection, so that the
// harness's own cost per call can be read off; loop=transport is the
// floor's own client in a plain loop over the tcp transport's connection,
// what the harness adds its bookkeeping to:
//
//	go test ./harness -run '^$' -bench Floor -count 10 | benchstat -col /loop -
func BenchmarkFloor(b *testing.B) {
	tcp, p := tcpBytes16(b)
	b.Run("loop=bare", func(b *testing.B) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		srv := stack.Floor{}.Serve(l, nil)
		defer srv.Close()
		conn, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		msg := make([]byte, 4+18) // the floor's bytes:16 frame: prefix and protobuf bytes
		binary.BigEndian.PutUint32(msg, 18)
		in := make([]byte, len(msg))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := conn.Write(msg); err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadFull(conn, in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("loop=transport", func(b *testing.B) {
		l, caller, err := transports.Pair(context.Background(), tcp, transports.Config{})
		if err != nil {
			b.Fatal(err)
		}
		srv := stack.Floor{}.Serve(l, nil)
		defer srv.Close()
		defer caller.Close()
		conn, err := caller.Conn(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		c, err := stack.Floor{}.NewClient(conn, p)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		for b.Loop() {
			if err := c.Call(context.Background(), false); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("loop=harness", func(b *testing.B) {
		cfg := harness.Config{Stack: stack.Floor{}, Transport: tcp, Payload: p,
			Concurrency: 1, Conns: 1, Pipeline: 1, Timeout: 10 * time.Second, Calls: int64(b.N)}
		r, err := harness.Run(context.Background(), cfg)
		if err != nil || r.Errors > 0 {
			b.Fatalf("%v; %d errors", err, r.Errors)
		}
		b.ReportMetric(r.PerCall(float64(r.Elapsed)), "ns/op")
	})
}

// BenchmarkOverhead is the harness's own cost per call, without any call:
// its stack's calls return at once, so ns/op is the time stamps, the
// schedule, the watchdog's bookkeeping and the recording, per caller
// count (the callers share the schedule and the recorder):
//
//	go test ./harness -run '^$' -bench Overhead -count 10 | benchstat -
func BenchmarkOverhead(b *testing.B) {
	tcp, p := tcpBytes16(b)
	for _, conc := range []int{1, 2} {
		b.Run("concurrency="+strconv.Itoa(conc), func(b *testing.B) {
			cfg := harness.Config{Stack: nopStack{}, Transport: tcp, Payload: p,
				Concurrency: conc, Conns: conc, Pipeline: 1, Timeout: 10 * time.Second, Calls: int64(b.N)}
			r, err := harness.Run(context.Background(), cfg)
			if err != nil || r.Errors > 0 {
				b.Fatalf("%v; %d errors", err, r.Errors)
			}
			b.ReportMetric(float64(r.Elapsed)/float64(b.N), "ns/op")
		})
	}
}

// nopStack's calls do nothing: the floor's server and connections, for
// the harness to set up, and a client that never uses them.
type nopStack struct{ stack.Floor }

func (nopStack) NewClient(conn net.Conn, _ payload.Payload) (stack.Client, error) {
	return nopClient{conn}, nil
}

type nopClient struct{ conn net.Conn }

func (nopClient) Call(context.Context, bool) error { return nil }
func (c nopClient) Close() error                   { return c.conn.Close() }

// tcpBytes16 is the floor benchmarks' transport and payload.
func tcpBytes16(b *testing.B) (transports.Transport, payload.Payload) {
	tcp, err := transports.Lookup("tcp")
	if err != nil {
		b.Fatal(err)
	}
	p, err := payload.Parse("bytes:16")
	if err != nil {
		b.Fatal(err)
	}
	return tcp, p
}
