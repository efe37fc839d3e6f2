package attack_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/rpc"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/service"
	"github.com/rpcbench/rpcbench/transports/duplex"
	"github.com/rpcbench/rpcbench/transports/httpconnect"
)

// dialRaw opens a connection to the server over its transport, ready for
// the codec's bytes: after the CONNECT for http, after the handshake for
// tls, for reverse, the next connection the server dialled in, for
// duplex, a new stream on the session the server dialled in, and, for
// quic, a new stream (its opening byte sent) on one QUIC connection.
func (s *server) dialRaw() (net.Conn, error) {
	const timeout = 5 * time.Second
	switch s.transport {
	case "unix":
		return net.DialTimeout("unix", s.addr, timeout)
	case "tls":
		d := &net.Dialer{Timeout: timeout}
		return tls.DialWithDialer(d, "tcp", s.addr, &tls.Config{InsecureSkipVerify: true})
	case "http":
		c, err := net.DialTimeout("tcp", s.addr, timeout)
		if err != nil {
			return nil, err
		}
		c.SetDeadline(time.Now().Add(timeout))
		if err := connect(c, httpconnect.Path(s.codec)); err != nil {
			c.Close()
			return nil, err
		}
		c.SetDeadline(time.Time{})
		return c, nil
	case "reverse":
		// The worker redials a connection it lost after a backoff that
		// grows while its connections serve nothing, as hostile ones do.
		s.workers.SetDeadline(time.Now().Add(3 * timeout))
		return s.workers.Accept()
	case "duplex":
		// The worker redials a session it lost, after the same backoff.
		ctx, cancel := context.WithTimeout(context.Background(), 3*timeout)
		defer cancel()
		return s.master.Open(ctx)
	case "quic":
		// A new stream on the test's one QUIC connection to the server.
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		return s.quic.Conn(ctx)
	}
	return net.DialTimeout("tcp", s.addr, timeout)
}

// connect sends CONNECT path and reads the answer a byte at a time, so
// that nothing after it is taken from the stream.
func connect(c net.Conn, path string) error {
	if _, err := io.WriteString(c, "CONNECT "+path+" HTTP/1.0\n\n"); err != nil {
		return err
	}
	var head []byte
	b := make([]byte, 1)
	for !strings.HasSuffix(string(head), "\n\n") && !strings.HasSuffix(string(head), "\r\n\r\n") {
		if _, err := c.Read(b); err != nil {
			return fmt.Errorf("reading the CONNECT answer: %w", err)
		}
		if head = append(head, b[0]); len(head) > 4096 {
			return fmt.Errorf("CONNECT answer longer than 4 KiB: %q", head[:64])
		}
	}
	if !strings.Contains(string(head), " 200 ") {
		return fmt.Errorf("CONNECT %s answered %q", path, strings.TrimSpace(string(head)))
	}
	return nil
}

// callReverse makes one call over the next connection a reverse server
// dials in, or a new stream to a duplex server, as `rpcbench call
// --listen` would (which cannot share the test's listener), and prints
// the reply as JSON.
func (s *server) callReverse(method, args string) (string, error) {
	codec, err := codecs.Lookup(s.codec)
	if err != nil {
		return "", err
	}
	c, err := s.dialRaw()
	if err != nil {
		return "", fmt.Errorf("no %s connection from the server: %w", s.transport, err)
	}
	c.SetDeadline(time.Now().Add(callTimeout))
	client := rpc.NewClientWithCodec(codec.NewClientCodec(c))
	defer client.Close()
	var req, reply any
	switch method {
	case "Arith.Multiply":
		req, reply = new(service.Args), new(service.Product)
	case "Stats.Read":
		req, reply = new(service.StatsRequest), new(service.ServerStats)
	default:
		return "", fmt.Errorf("callReverse: no types for %s", method)
	}
	if err := json.Unmarshal([]byte(args), req); err != nil {
		return "", err
	}
	if err := client.Call(method, req, reply); err != nil {
		return "", fmt.Errorf("%s over %s: %w", method, s.transport, err)
	}
	out, err := json.Marshal(reply)
	return string(out), err
}

// overOtherTransports says which attacks run over the transports other
// than tcp: all but the two that open 2000 connections each, which test
// the accept path and would add minutes (over tls, a handshake each),
// so that the suite stays within CI's time. Over reverse, where every
// connection is one the server dials (8 at a time, redialled after a
// backoff), and over duplex, where every connection is a stream on the
// one session the server dialled, only one of each kind runs
// (subsetOverReverse). Over quic, every connection is a stream of one
// QUIC connection, as over duplex, but the test dials it, so all run.
func overOtherTransports(transport, name string) bool {
	if strings.HasPrefix(name, "2000 ") {
		return false
	}
	return (transport != "reverse" && transport != "duplex") || slices.Contains(subsetOverReverse, name)
}

// subsetOverReverse is one attack of each kind: junk, a stalled request,
// an endless message, a lying prefix, lying inner lengths. It runs over
// reverse and duplex.
var subsetOverReverse = []string{
	"64 KiB of random bytes",
	"a request cut in half and held open",
	"a message that never ends, sent as fast as the server takes it",
	"a length prefix of 4 GiB with nothing after it",
	"small messages whose inner lengths claim gigabytes",
}

// TestServerSurvivesOverEveryTransport runs the attacks (see
// overOtherTransports) over unix, http (after CONNECT), tls (after the
// handshake), reverse (on connections the server dialled), duplex (on
// streams of the session the server dialled) and quic (on streams of one
// QUIC connection), for two codecs of different
// framing, with TestServerSurvives's bounds: a fresh call answered, memory
// under maxRSS, goroutines back to idle.
func TestServerSurvivesOverEveryTransport(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the full battery over tcp is TestServerSurvives")
	}
	for _, transport := range []string{"unix", "http", "tls", "reverse", "duplex", "quic"} {
		for _, codec := range []string{"gob", "msgpack"} {
			t.Run(transport+"/"+codec, func(t *testing.T) {
				f := formatOf(t, codec)
				args := []string{"--transport", transport}
				var workers *net.TCPListener
				var master *duplex.End
				switch transport {
				case "unix":
					args = append(args, "--addr", t.TempDir()+"/s.sock")
				case "reverse":
					l, err := net.Listen("tcp", "127.0.0.1:0")
					if err != nil {
						t.Fatal(err)
					}
					defer l.Close()
					workers = l.(*net.TCPListener)
					args = append(args, "--addr", l.Addr().String(), "--conns", "8")
				case "duplex":
					m, err := duplex.Listen(context.Background(), "127.0.0.1:0", duplex.Options{})
					if err != nil {
						t.Fatal(err)
					}
					defer m.Close()
					master = m
					args = append(args, "--addr", m.Addr().String())
				}
				srv := serve(t, nil, codec, args...)
				srv.workers, srv.master = workers, master
				if transport == "quic" {
					srv.quic = dialQuic(t, srv.addr)
				}
				srv.assertServing(t, nil, "before any attack")
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				<-ctx.Done() // let a reverse server's slots dial in
				cancel()
				idle, err := srv.goroutines(nil)
				if err != nil {
					t.Errorf("counting the idle server's goroutines: %v", err)
				}
				for _, a := range attacks(f) {
					if !overOtherTransports(transport, a.name) {
						continue
					}
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
}
