package attack_test

import (
	"context"
	"crypto/tls"
	"net"
	"sync"
	"testing"
	"time"

	quicgo "github.com/quic-go/quic-go"

	"github.com/rpcbench/rpcbench/transports"
	"github.com/rpcbench/rpcbench/transports/quic"
)

// dialQuic returns a calling half to the quic server at addr, closed when
// the test ends, with its QUIC connection up, so that the server's
// goroutines for it count among those of the idle server.
func dialQuic(t *testing.T, addr string) transports.Caller {
	t.Helper()
	c, err := quic.Transport{}.Call(context.Background(), transports.Config{Addr: addr, Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := c.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	return c
}

// rawTLS is a bare QUIC client's TLS: rpcbench's ALPN, and serve's
// self-signed certificate taken as it is.
func rawTLS() *tls.Config {
	return &tls.Config{InsecureSkipVerify: true, NextProtos: []string{quic.ALPN}}
}

// rawQuic dials the server as a bare QUIC client that speaks rpcbench's
// ALPN, for attacks below the transport's streams.
func rawQuic(h *hostile) *quicgo.Conn {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
	defer cancel()
	qc, err := quicgo.DialAddr(ctx, h.srv.addr, rawTLS(), nil)
	if err != nil {
		h.t.Fatalf("dialling the server over QUIC: %v", err)
	}
	h.goUntilClose(func(ctx context.Context) {
		<-ctx.Done()
		qc.CloseWithError(0, "")
	})
	return qc
}

// quicAttacks are the attacks only QUIC allows: on its streams, its
// connections and its datagrams.
var quicAttacks = []struct {
	name string
	run  func(h *hostile)
	// full: the attack holds every connection the server allows, so a
	// fresh call is refused until it ends: that is the bound.
	full bool
}{
	{"streams that do not open with rpcbench's byte", func(h *hostile) {
		qc := rawQuic(h)
		for range 64 {
			st, err := qc.OpenStreamSync(h.ctx)
			if err != nil {
				h.t.Fatalf("opening a stream: %v", err)
			}
			st.SetWriteDeadline(time.Now().Add(writeWithin))
			st.Write(append([]byte{0xff}, h.random(1<<10)...))
		}
	}, false},
	{"5000 streams, each a request cut in half, on one connection", func(h *hostile) {
		// The server grants quic.DefaultMaxStreams at once: opening
		// more waits, so the flood is what it holds, bounded.
		qc := rawQuic(h)
		req := append([]byte{quic.StreamOpener}, requests(h.t, h.srv.codec, 1)...)
		half := req[:len(req)/2]
		opened := 0
		for range 5000 {
			st, err := qc.OpenStream()
			if err != nil {
				break // the server's stream limit: no more until some close
			}
			st.SetWriteDeadline(time.Now().Add(writeWithin))
			if _, err := st.Write(half); err != nil {
				break
			}
			opened++
		}
		h.t.Logf("%d streams open at once", opened)
		if opened > quic.DefaultMaxStreams {
			h.t.Errorf("opened %d streams at once, past the server's limit %d", opened, quic.DefaultMaxStreams)
		}
	}, false},
	{"10,000 datagrams of random bytes", func(h *hostile) {
		c, err := net.Dial("udp", h.srv.addr)
		if err != nil {
			h.t.Fatal(err)
		}
		defer c.Close()
		for range 10000 {
			c.Write(h.random(1200))
		}
	}, false},
	{"a handshake flood: 400 connections held open, past the server's 256", func(h *hostile) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		refused := 0
		for w := range 16 {
			wg.Go(func() {
				for i := w; i < 400; i += 16 {
					ctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
					qc, err := quicgo.DialAddr(ctx, h.srv.addr, rawTLS(), nil)
					cancel()
					if err != nil {
						mu.Lock()
						refused++
						mu.Unlock()
						continue
					}
					h.goUntilClose(func(ctx context.Context) {
						<-ctx.Done()
						qc.CloseWithError(0, "")
					})
				}
			})
		}
		wg.Wait()
		if refused < 400-quic.DefaultMaxConns {
			h.t.Errorf("the server refused %d of 400 connections, want at least %d past its limit %d", refused, 400-quic.DefaultMaxConns, quic.DefaultMaxConns)
		}
	}, true},
}

// TestServerSurvivesQuicAttacks runs quicAttacks against `rpcbench serve
// --transport quic`: memory under maxRSS throughout, a fresh call answered
// while the attack's connections are open and after they close (while a
// handshake flood holds every connection the server allows, a new client
// is refused: that is the bound), goroutines back to idle at the end.
func TestServerSurvivesQuicAttacks(t *testing.T) {
	srv := serve(t, nil, "msgpack", "--transport", "quic")
	srv.assertServing(t, nil, "before any attack")
	idle, err := srv.goroutines(nil)
	if err != nil {
		t.Fatalf("counting the idle server's goroutines: %v", err)
	}
	for _, a := range quicAttacks {
		t.Run(a.name, func(t *testing.T) {
			srv.resetPeak(t)
			h := newHostile(t, srv, formatOf(t, "msgpack"))
			a.run(h)
			if !a.full {
				srv.assertServing(t, nil, "while the attack's connections were open")
			}
			h.close()
			srv.assertServing(t, nil, "after the attack's connections closed")
			if t.Failed() {
				t.Logf("seed %d; server's last log lines:\n%s", *seed, srv.stderr)
			}
		})
	}
	srv.assertIdle(t, idle)
	srv.shutdown(t)
}
