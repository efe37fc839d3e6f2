package attack_test

import (
	"fmt"
	"math"
	"net"
	"net/rpc"
	"strings"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/service"
)

// dialClient opens a net/rpc client of the server's codec over its
// transport, closed when t ends.
func (s *server) dialClient(t *testing.T) *rpc.Client {
	t.Helper()
	codec, err := codecs.Lookup(s.codec)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := s.dialRaw()
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(60 * time.Second)) // a watchdog
	client := rpc.NewClientWithCodec(codec.NewClientCodec(conn))
	t.Cleanup(func() { client.Close() })
	return client
}

// TestKVStoreIsBounded sets distinct 1 KiB keys, 64 calls in flight, on a
// serve with the default KV bounds, for every codec: a Set must be refused
// with an error naming --kv-max-bytes before 100,000 of them (100 MiB), the
// server's memory must stay under maxRSS, and the keys stored must still
// be there.
func TestKVStoreIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("tens of thousands of Sets per codec")
	}
	const most, inFlight = 100_000, 64
	pad := strings.Repeat("k", 1<<10)
	for _, name := range codecs.Names() {
		t.Run(name, func(t *testing.T) {
			srv := serve(t, nil, name)
			defer srv.shutdown(t)
			srv.resetPeak(t)
			client := srv.dialClient(t)
			done := make(chan *rpc.Call, inFlight)
			var refused error
			sent, stored := 0, 0
			for got := 0; got < sent || (sent < most && refused == nil); {
				if sent-got < inFlight && sent < most && refused == nil {
					client.Go("KV.Set", &service.KeyValue{Key: fmt.Sprint(sent, pad)}, new(service.KeyValue), done)
					sent++
					continue
				}
				call := <-done
				got++
				if call.Error == nil {
					stored++
				} else if refused == nil {
					refused = call.Error
				}
			}
			if refused == nil || !strings.Contains(refused.Error(), "--kv-max-bytes") {
				t.Fatalf("%d Sets of distinct 1 KiB keys: %d stored, first error %v; want a Set refused naming --kv-max-bytes", sent, stored, refused)
			}
			if err := client.Call("KV.Get", &service.KeyValue{Key: fmt.Sprint(0, pad)}, new(service.KeyValue)); err != nil {
				t.Errorf("KV.Get of the first key stored: %v", err)
			}
			t.Logf("%d Sets: %d stored, then refused: %v", sent, stored, refused)
			srv.assertServing(t, nil, "after filling the KV store")
		})
	}
}

// TestWatchTimeoutsOutOfRangeAreErrors sends KV.Watch calls whose
// timeout_ms is negative, too large for a Duration, or wraps to 0 (no
// limit) when multiplied naively, for every codec: each must fail at
// once with an error about its timeout, never wait.
func TestWatchTimeoutsOutOfRangeAreErrors(t *testing.T) {
	for _, name := range codecs.Names() {
		t.Run(name, func(t *testing.T) {
			srv := serve(t, nil, name)
			defer srv.shutdown(t)
			client := srv.dialClient(t)
			for _, ms := range []int64{math.MinInt64, -9_223_372_036_855, -1, math.MaxInt64, math.MaxInt64 / 1_000_000} {
				call := client.Go("KV.Watch", &service.WatchRequest{Key: "range", TimeoutMs: ms}, new(service.KeyValue), nil)
				select {
				case <-call.Done:
					if call.Error == nil || !strings.Contains(call.Error.Error(), "timeout") {
						t.Errorf("KV.Watch with timeout_ms %d = %v; want an error about the timeout", ms, call.Error)
					}
				case <-time.After(answerWithin):
					t.Errorf("KV.Watch with timeout_ms %d still waits after %v; want an error at once", ms, answerWithin)
				}
			}
		})
	}
}

// TestUnreadLargeRepliesAreBudgeted sets a 32 MiB value, then has 60
// connections Get it and never read, for every codec: serve must not
// encode a reply for each of them at once (60 × 32 MiB), its memory must
// stay under maxRSS, and a fresh call must still be answered.
func TestUnreadLargeRepliesAreBudgeted(t *testing.T) {
	if testing.Short() {
		t.Skip("32 MiB values")
	}
	const conns = 60
	value := strings.Repeat("v", 32<<20)
	for _, name := range codecs.Names() {
		t.Run(name, func(t *testing.T) {
			srv := serve(t, nil, name)
			defer srv.shutdown(t)
			codec, err := codecs.Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			setter := srv.dialClient(t)
			if err := setter.Call("KV.Set", &service.KeyValue{Key: "big", Value: value}, new(service.KeyValue)); err != nil {
				t.Fatal(err)
			}
			// Its codec's buffers go with it; serve hands the memory back
			// once the large request is answered.
			setter.Close()
			time.Sleep(time.Second) // sleeps on purpose: serve gives no sign of having handed the memory back
			srv.resetPeak(t)
			var open []net.Conn
			defer func() {
				for _, c := range open {
					c.Close()
				}
			}()
			for range conns {
				c, err := srv.dialRaw()
				if err != nil {
					t.Fatal(err)
				}
				open = append(open, c)
				if tc, ok := c.(*net.TCPConn); ok {
					tc.SetReadBuffer(4 << 10)
				}
				c.SetWriteDeadline(time.Now().Add(writeWithin))
				if err := codec.NewClientCodec(c).WriteRequest(&rpc.Request{ServiceMethod: "KV.Get", Seq: 1}, &service.KeyValue{Key: "big"}); err != nil {
					t.Fatal(err)
				}
			}
			time.Sleep(time.Second) // sleeps on purpose: serve must hold what it computes for clients that never read; nothing reports when it is done
			// The Set leaves serve holding memory it freed (the 32 MiB
			// request, decoded), so what counts is the growth.
			when := fmt.Sprintf("with %d clients not reading a 32 MiB reply each", conns)
			if out, err := srv.call(nil, "Arith.Multiply", `{"a":6,"b":7}`); err != nil || out != `{"value":42}` {
				t.Errorf("call %s: %q, %v; want {\"value\":42}", when, out, err)
			}
			u, err := srv.usage()
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("resident memory %s: %d MiB before, peak %d MiB", when, srv.startRSS>>20, u.PeakRSS>>20)
			if grew := u.PeakRSS - srv.startRSS; grew > maxRSS/2 {
				t.Errorf("server's resident memory grew by %d MiB %s (from %d MiB), want under %d MiB", grew>>20, when, srv.startRSS>>20, maxRSS>>21)
			}
		})
	}
}
