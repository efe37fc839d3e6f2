package attack_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/codecs"
	wire "github.com/rpcbench/rpcbench/codecs/hostile"
	"github.com/rpcbench/rpcbench/internal/poll"
)

// TestServerSurvives attacks one `rpcbench serve` process per codec with
// every attack in turn. After each, while the attack's connections are
// still open, and again once they are closed, a fresh `rpcbench call`
// must get 42 within callTimeout, and the server's memory must never have
// passed maxRSS. After them all, its goroutines must be back to their idle
// count, and SIGTERM must end it cleanly.
func TestServerSurvives(t *testing.T) {
	for _, codec := range codecs.Names() {
		// One codec at a time: the floods are meant to load the server, not
		// to race each other for the machine.
		t.Run(codec, func(t *testing.T) {
			f := formatOf(t, codec)
			srv := serve(t, nil, codec)
			srv.assertServing(t, nil, "before any attack")
			idle, err := srv.goroutines(nil)
			if err != nil {
				t.Errorf("counting the idle server's goroutines: %v", err)
			}
			for _, a := range attacks(f) {
				t.Run(a.name, func(t *testing.T) {
					srv.resetPeak(t)
					h := newHostile(t, srv, f)
					a.run(h)
					srv.assertServing(t, nil, "while the attack's connections were open")
					h.close()
					srv.assertServing(t, nil, "after the attack's connections closed")
					if t.Failed() {
						t.Logf("seed %d; server's last log lines:\n%s", *seed, srv.stderr)
					}
				})
			}
			if err == nil {
				srv.assertIdle(t, idle)
			}
			srv.shutdown(t)
		})
	}
}

// assertIdle checks that, with every attack's connections closed, the
// server's goroutines come back to the idle count within a few seconds: no
// attack left a goroutine behind.
func (s *server) assertIdle(t *testing.T, idle int) {
	t.Helper()
	err := poll.Within(5*time.Second, func() error {
		n, err := s.goroutines(nil)
		if err == nil && n > idle {
			err = fmt.Errorf("server has %d goroutines 5s after the attacks ended, %d when idle before them", n, idle)
		}
		return err
	})
	if err != nil {
		t.Error(err)
	}
}

type attack struct {
	name string // completes "the server survives ..."
	run  func(h *hostile)
}

// Timing of the attacks. answerWithin is how soon a server must answer or
// drop a connection whose message is complete, or whose prefix is over any
// cap: a server that waits for the rest never does. A write that the
// server neither reads nor refuses for writeWithin has hung.
const (
	answerWithin = 3 * time.Second
	writeWithin  = 30 * time.Second
)

// frameMax is serve's default cap on one message, and floodSlack what a
// flood may send beyond it before the server must have dropped the
// connection: the socket buffers on both sides, which hold a few MiB.
const (
	frameMax   = 64 << 20
	floodSlack = 32 << 20
)

// attacks returns the attacks that f's format allows: every codec gets
// the generic ones, and the ones its framing makes possible.
func attacks(f wire.Format) []attack {
	as := []attack{
		{"an HTTP request", func(h *hostile) {
			h.send(h.dial(), []byte("GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: attack\r\n\r\n"))
			h.send(h.dial(), []byte("CONNECT /_goRPC_ HTTP/1.0\r\n\r\n"))
		}},
		{"64 KiB of random bytes", func(h *hostile) {
			for range 4 {
				h.send(h.dial(), h.random(64<<10))
			}
		}},
		{"64 KiB of NUL bytes", func(h *hostile) { h.send(h.dial(), make([]byte, 64<<10)) }},
		{"64 KiB of 0xFF bytes", func(h *hostile) { h.send(h.dial(), bytes.Repeat([]byte{0xff}, 64<<10)) }},
		{"a request cut in half and held open", func(h *hostile) {
			req := requests(h.t, h.srv.codec, 1)
			h.send(h.dial(), req[:len(req)/2])
		}},
		{"2000 random frames over short connections, a quarter ended with RST", func(h *hostile) {
			h.connections(2000, func(c net.Conn, rng *rand.Rand) {
				for range 1 + rng.IntN(3) {
					h.send(c, h.f.Frame(randomBytes(rng, rng.IntN(256))))
				}
			})
		}},
		{"2000 well-formed requests with a few bytes changed", func(h *hostile) {
			reqs := requests(h.t, h.srv.codec, 4) // one of each method
			h.connections(2000/4, func(c net.Conn, rng *rand.Rand) {
				b := slices.Clone(reqs)
				for range 1 + rng.IntN(4) {
					b[rng.IntN(len(b))] = byte(rng.Uint32())
				}
				h.send(c, b)
			})
		}},
		{"20 slowloris connections sending a byte a second", func(h *hostile) {
			reqs := requests(h.t, h.srv.codec, 4)
			for range 20 {
				c := h.dial()
				h.goUntilClose(func(ctx context.Context) {
					tick := time.NewTicker(time.Second)
					defer tick.Stop()
					for i := 0; ; i++ {
						if _, err := c.Write(reqs[i%len(reqs) : i%len(reqs)+1]); err != nil {
							return
						}
						select {
						case <-ctx.Done():
							return
						case <-tick.C:
						}
					}
				})
			}
			time.Sleep(2500 * time.Millisecond) // sleeps on purpose: a slow peer, a few bytes in, mid-message
		}},
		{"a message that never ends, sent as fast as the server takes it", func(h *hostile) {
			n, err := h.flood(h.dial(), h.f.Endless, h.f.Fill, frameMax+floodSlack)
			if err == nil {
				h.t.Errorf("server took %d bytes of a message that never ends without dropping the connection (cap %d)", n, frameMax)
			}
		}},
	}
	if f.Deep != nil {
		as = append(as, attack{"a request nested 100,000 deep", func(h *hostile) {
			c := h.dial()
			h.send(c, h.f.Deep)
			h.assertAnswered(c, "a request nested 100,000 deep")
		}})
	}
	if f.Prefix != nil {
		as = append(as,
			attack{"a length prefix of 4 GiB with nothing after it", func(h *hostile) {
				c := h.dial()
				h.send(c, h.f.Prefix(huge))
				h.assertDropped(c, "a length prefix of 4 GiB")
			}},
			attack{"a message just under the cap, and junk after it, sent as fast as the server takes it", func(h *hostile) {
				h.flood(h.dial(), h.f.Prefix(frameMax-64), 0, frameMax+floodSlack)
			}},
		)
	}
	if f.Lies != nil {
		as = append(as, attack{"small messages whose inner lengths claim gigabytes", func(h *hostile) {
			conns := make(map[string]net.Conn)
			for _, what := range slices.Sorted(maps.Keys(h.f.Lies)) {
				conns[what] = h.dial()
				h.send(conns[what], h.f.Lies[what])
			}
			for what, c := range conns {
				h.assertAnswered(c, "a message lying about "+what)
			}
		}})
	}
	return as
}

// hostile holds one attack's connections and goroutines; close ends them.
type hostile struct {
	t   *testing.T
	srv *server
	f   wire.Format
	rng *rand.Rand

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex // guards conns
	conns  []net.Conn
}

func newHostile(t *testing.T, srv *server, f wire.Format) *hostile {
	h := &hostile{t: t, srv: srv, f: f, rng: rng(t)}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	t.Cleanup(h.close)
	return h
}

// dial opens a connection that stays open until close.
func (h *hostile) dial() net.Conn {
	h.t.Helper()
	c, err := h.srv.dialRaw()
	if err != nil {
		h.t.Fatalf("dialling the server: %v", err)
	}
	h.mu.Lock()
	h.conns = append(h.conns, c)
	h.mu.Unlock()
	return c
}

// close stops the attack's goroutines and closes its connections.
func (h *hostile) close() {
	h.cancel()
	h.mu.Lock()
	for _, c := range h.conns {
		c.Close()
	}
	h.conns = nil
	h.mu.Unlock()
	h.wg.Wait()
}

// goUntilClose runs f in a goroutine; f's context ends at close.
func (h *hostile) goUntilClose(f func(ctx context.Context)) {
	h.wg.Go(func() { f(h.ctx) })
}

// send writes b; the server may drop the connection at any point, so a
// write error is no failure, but a write stuck for writeWithin is.
func (h *hostile) send(c net.Conn, b []byte) {
	c.SetWriteDeadline(time.Now().Add(writeWithin))
	if _, err := c.Write(b); errors.Is(err, os.ErrDeadlineExceeded) {
		h.t.Errorf("server neither read nor dropped %d bytes for %v", len(b), writeWithin)
	}
}

func (h *hostile) random(n int) []byte { return randomBytes(h.rng, n) }

func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// flood writes head and then fill (random bytes when 0) as fast as the
// server reads, until it has written limit bytes or the server drops the
// connection, and returns how many bytes the server took and the error
// that stopped it (nil when limit was reached).
func (h *hostile) flood(c net.Conn, head []byte, fill byte, limit int64) (int64, error) {
	chunk := h.random(64 << 10)
	if fill != 0 {
		chunk = bytes.Repeat([]byte{fill}, 64<<10)
	}
	c.SetWriteDeadline(time.Now().Add(writeWithin))
	n, err := c.Write(head)
	total := int64(n)
	for err == nil && total < limit {
		n, err = c.Write(chunk)
		total += int64(n)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		h.t.Errorf("server neither read nor dropped a flood for %v, after %d bytes", writeWithin, total)
	}
	return total, err
}

// connections opens n short connections, 16 at a time, and lets attack
// write to each; a quarter of them end with RST instead of FIN, and the
// last 16 stay open until close.
func (h *hostile) connections(n int, attack func(c net.Conn, rng *rand.Rand)) {
	const workers = 16
	var wg sync.WaitGroup
	for w := range workers {
		r := rand.New(rand.NewPCG(h.rng.Uint64(), uint64(w)))
		wg.Go(func() {
			for i := w; i < n; i += workers {
				c, err := h.srv.dialRaw()
				if err != nil {
					h.t.Errorf("dialling connection %d: %v", i, err)
					return
				}
				attack(c, r)
				if i >= n-workers {
					h.mu.Lock()
					h.conns = append(h.conns, c)
					h.mu.Unlock()
					continue
				}
				if tc, ok := c.(*net.TCPConn); ok && r.IntN(4) == 0 {
					tc.SetLinger(0) // RST
				}
				c.Close()
			}
		})
	}
	wg.Wait()
}

// assertDropped fails unless the server closes c within answerWithin,
// having sent nothing.
func (h *hostile) assertDropped(c net.Conn, what string) {
	h.t.Helper()
	c.SetReadDeadline(time.Now().Add(answerWithin))
	n, err := io.Copy(io.Discard, c)
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		h.t.Errorf("server kept the connection open for %v after %s", answerWithin, what)
	case n > 0:
		h.t.Errorf("server answered %s with %d bytes, want the connection dropped", what, n)
	}
}

// assertAnswered fails unless the server, within answerWithin, either
// answers c (an error reply) or drops it: a complete message is never
// something to wait on.
func (h *hostile) assertAnswered(c net.Conn, what string) {
	h.t.Helper()
	c.SetReadDeadline(time.Now().Add(answerWithin))
	if _, err := c.Read(make([]byte, 1)); errors.Is(err, os.ErrDeadlineExceeded) {
		h.t.Errorf("server neither answered nor dropped %s within %v", what, answerWithin)
	}
}
