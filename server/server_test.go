package server_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/rpc"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/internal/backoff"
	"github.com/rpcbench/rpcbench/internal/poll"
	"github.com/rpcbench/rpcbench/server"
	"github.com/rpcbench/rpcbench/service"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const token = "s3cret-token-7f3a"

// logBuffer collects a Server's log lines.
type logBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (l *logBuffer) Logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(&l.b, format+"\n", args...)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// serve runs s on l until the test ends; it fails the test if Serve
// returns an error.
func serve(t testing.TB, s *server.Server, l net.Listener) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		s.Shutdown(context.Background())
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
}

func listen(t testing.TB) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// start serves the service (or srv, when not nil) with codec c on a
// loopback listener and returns its address and its log.
func start(t testing.TB, c codecs.Codec, s *server.Server) (addr string, log *logBuffer) {
	t.Helper()
	log = new(logBuffer)
	s.Codec, s.Logf = c, log.Logf
	l := listen(t)
	serve(t, s, l)
	return l.Addr().String(), log
}

func dial(t testing.TB, c codecs.Codec, addr string) *rpc.Client {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	// A watchdog: a hung server fails the test instead of hanging it.
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	client := rpc.NewClientWithCodec(c.NewClientCodec(conn))
	t.Cleanup(func() { client.Close() })
	return client
}

// counter is the Echo service, counting the calls that reach it.
type counter struct{ n atomic.Int64 }

func (c *counter) Echo(args *service.EchoRequest, reply *service.EchoReply) error {
	c.n.Add(1)
	reply.Payload = args.GetPayload()
	return nil
}

// A step is one call of a scripted conversation and what it must return:
// wantErr is the error text ("" for none), or a prefix when it ends in "*".
type step struct {
	method  string
	args    any
	wantErr string
}

var (
	multiply  = step{"Arith.Multiply", &service.Args{A: 6, B: 7}, ""}
	login     = step{server.LoginMethod, &service.EchoRequest{Payload: []byte(token)}, ""}
	badLogin  = step{server.LoginMethod, &service.EchoRequest{Payload: []byte(token + "x")}, "unauthenticated: bad token"}
	noToken   = step{server.LoginMethod, &service.EchoRequest{}, "unauthenticated: bad token"}
	wrongType = step{server.LoginMethod, &service.Args{A: 1, B: 2}, "unauthenticated*"}
	early     = step{"Arith.Multiply", &service.Args{A: 6, B: 7}, "unauthenticated"}
	closed    = step{"Arith.Multiply", &service.Args{A: 6, B: 7}, "closed"}
)

func TestAuth(t *testing.T) {
	for _, tt := range []struct {
		name  string
		steps []step
	}{
		{"a call after login works", []step{login, multiply, multiply}},
		{"calls before login fail and the connection then logs in", []step{early, early, {"No.Such", &service.Args{}, "unauthenticated"}, login, multiply}},
		{"a wrong token fails and a right one then works", []step{badLogin, early, login, multiply}},
		{"an empty token fails", []step{noToken, early, login, multiply}},
		{"a login of the wrong type fails and a right one then works", []step{wrongType, login, multiply}},
		{"a failed login ends the login before it", []step{login, multiply, badLogin, early, login, multiply}},
		{"three failed logins close the connection", []step{badLogin, login, badLogin, badLogin, closed}},
	} {
		for _, name := range codecs.Names() {
			t.Run(tt.name+"/"+name, func(t *testing.T) {
				t.Parallel()
				c, err := codecs.Lookup(name)
				if err != nil {
					t.Fatal(err)
				}
				addr, log := start(t, c, &server.Server{Token: []byte(token)})
				client := dial(t, c, addr)
				for i, s := range tt.steps {
					_, reply, _ := service.Values(s.method)
					if s.method == server.LoginMethod {
						reply = new(service.EchoReply)
					} else if reply == nil {
						reply = new(service.Product)
					}
					err := client.Call(s.method, s.args, reply)
					if !matches(err, s.wantErr) {
						t.Fatalf("step %d, %s: error %v, want %q", i+1, s.method, err, s.wantErr)
					}
					if p, ok := reply.(*service.Product); ok && err == nil && p.GetValue() != 42 {
						t.Fatalf("step %d: %s = %d, want 42", i+1, s.method, p.GetValue())
					}
				}
				if out := log.String(); strings.Contains(out, token) {
					t.Fatalf("the log shows the token:\n%s", out)
				}
			})
		}
	}
}

// matches reports whether err is as want describes: no error for "", a
// closed connection for "closed", a server error with that text, or with
// that prefix when want ends in "*".
func matches(err error, want string) bool {
	var se rpc.ServerError
	switch {
	case want == "":
		return err == nil
	case want == "closed":
		return err != nil && !errors.As(err, &se)
	case !errors.As(err, &se):
		return false
	case strings.HasSuffix(want, "*"):
		return strings.HasPrefix(string(se), strings.TrimSuffix(want, "*"))
	}
	return string(se) == want
}

func TestAuthKeepsCallsFromTheService(t *testing.T) {
	for _, name := range codecs.Names() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := codecs.Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			var echo counter
			srv := rpc.NewServer()
			if err := srv.RegisterName("Echo", &echo); err != nil {
				t.Fatal(err)
			}
			addr, _ := start(t, c, &server.Server{RPC: srv, Token: []byte(token)})
			client := dial(t, c, addr)
			args := &service.EchoRequest{Payload: []byte("hi")}
			if err := client.Call("Echo.Echo", args, new(service.EchoReply)); !matches(err, "unauthenticated") {
				t.Fatalf("Echo.Echo before login: %v, want unauthenticated", err)
			}
			if n := echo.n.Load(); n != 0 {
				t.Fatalf("the service saw %d calls made before login, want 0", n)
			}
			if err := server.Login(context.Background(), client, []byte(token)); err != nil {
				t.Fatal(err)
			}
			// Calls in flight while the connection logs in again: the
			// login's reply and theirs share the codec's writer.
			const calls = 200
			var wg sync.WaitGroup
			errs := make(chan error, calls+1)
			for range calls {
				wg.Go(func() {
					var reply service.EchoReply
					if err := client.Call("Echo.Echo", args, &reply); err != nil || string(reply.GetPayload()) != "hi" {
						errs <- fmt.Errorf("Echo.Echo = %q, %v; want hi", reply.GetPayload(), err)
					}
				})
			}
			wg.Go(func() { errs <- server.Login(context.Background(), client, []byte(token)) })
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			if n := echo.n.Load(); n != calls {
				t.Fatalf("the service saw %d calls, want %d", n, calls)
			}
		})
	}
}

func TestReadToken(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := dir + "/" + name
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tt := range []struct {
		name, file, want, wantErr string
	}{
		{"surrounding white space is trimmed", write("nl", "\n  "+token+"\r\n"), token, ""},
		{"inner white space is kept", write("inner", "a b\n"), "a b", ""},
		{"an empty file is refused", write("empty", " \n\t"), "", "token file " + dir + "/empty is empty"},
		{"a missing file is named", dir + "/missing", "", "reading token: open " + dir + "/missing: no such file or directory"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := server.ReadToken(tt.file)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("ReadToken(%s) = %q, %v; want error %q", tt.file, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("ReadToken(%s) = %q, %v; want %q", tt.file, got, err, tt.want)
			}
		})
	}
}

func TestIdleTimeout(t *testing.T) {
	const idle = 200 * time.Millisecond
	for _, name := range codecs.Names() {
		c, err := codecs.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// The calls of "slow" take longer than the idle timeout.
			addr, log := start(t, c, &server.Server{IdleTimeout: idle, RPC: (&service.Delay{Work: 3 * idle}).NewServer()})
			plainAddr, _ := start(t, c, &server.Server{IdleTimeout: idle})

			silent, err := net.Dial("tcp", plainAddr)
			if err != nil {
				t.Fatal(err)
			}
			defer silent.Close()
			active := dial(t, c, plainAddr)
			slow := dial(t, c, addr)

			var wg sync.WaitGroup
			wg.Go(func() {
				// A silent connection is closed: Read sees the end of the
				// stream, not the test's own deadline.
				silent.SetReadDeadline(time.Now().Add(10 * time.Second))
				if n, err := silent.Read(make([]byte, 1)); n != 0 || err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
					t.Errorf("silent connection: Read = %d, %v; want it closed by the server", n, err)
				}
			})
			wg.Go(func() {
				// Calls far apart in total, each soon after the last.
				for i := range 4 * int(idle/(10*time.Millisecond)) {
					time.Sleep(10 * time.Millisecond) // sleeps on purpose: the pause between calls is what the idle timeout must not count
					var p service.Product
					if err := active.Call("Arith.Multiply", &service.Args{A: 6, B: 7}, &p); err != nil || p.GetValue() != 42 {
						t.Errorf("active connection, call %d: %d, %v; want 42", i+1, p.GetValue(), err)
						return
					}
				}
			})
			wg.Go(func() {
				// net/rpc answers the calls in flight on a connection that
				// ended, so the second call shows whether it was kept open.
				for _, what := range []string{"a call longer than the idle timeout", "the call after it"} {
					var p service.Product
					if err := slow.Call("Arith.Multiply", &service.Args{A: 6, B: 7}, &p); err != nil || p.GetValue() != 42 {
						t.Errorf("%s: %d, %v; want 42", what, p.GetValue(), err)
						return
					}
				}
			})
			wg.Wait()
			// After its slow call, slow is silent too.
			poll.Until(t, 10*time.Second, func() error {
				if !strings.Contains(log.String(), "silent for "+idle.String()) {
					return fmt.Errorf("the server never logged closing the silent connection; log:\n%s", log)
				}
				return nil
			})
		})
	}
}

// flakyListener fails its first fails Accepts with err.
type flakyListener struct {
	net.Listener
	err     error
	fails   int          // Accepts to fail; negative: all of them
	accepts atomic.Int64 // Accept calls so far
	// reached, when set, is closed at the Accept call numbered at.
	reached chan struct{}
	at      int64
}

func (l *flakyListener) Accept() (net.Conn, error) {
	n := l.accepts.Add(1)
	if n == l.at {
		close(l.reached)
	}
	if l.fails < 0 || n <= int64(l.fails) {
		return nil, l.err
	}
	return l.Listener.Accept()
}

var errEMFILE = &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}

func TestAcceptBackoff(t *testing.T) {
	msgpack, err := codecs.Lookup("msgpack")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("Serve waits out too many open files and serves on", func(t *testing.T) {
		l := &flakyListener{Listener: listen(t), err: errEMFILE, fails: 5}
		log := new(logBuffer)
		serve(t, &server.Server{Codec: msgpack, Logf: log.Logf}, l)
		var p service.Product
		if err := dial(t, msgpack, l.Addr().String()).Call("Arith.Multiply", &service.Args{A: 6, B: 7}, &p); err != nil || p.GetValue() != 42 {
			t.Fatalf("after %d failed Accepts: %d, %v; want 42", l.fails, p.GetValue(), err)
		}
		if n := strings.Count(log.String(), "too many open files"); n != 1 {
			t.Fatalf("logged the episode %d times, want once:\n%s", n, log)
		}
	})

	t.Run("the backoff does not spin and Shutdown ends it", func(t *testing.T) {
		l := &flakyListener{Listener: listen(t), err: errEMFILE, fails: -1, reached: make(chan struct{}), at: 5}
		s := &server.Server{Codec: msgpack}
		done := make(chan error, 1)
		start := time.Now()
		go func() { done <- s.Serve(l) }()
		// Before the fifth Accept come four waits, 1+2+4+8 times AcceptMin,
		// each varied by the jitter: spinning would take microseconds.
		<-l.reached
		if took, least := time.Since(start), time.Duration(float64(15*backoff.AcceptMin)*(1-backoff.Jitter)); took < least {
			t.Errorf("5 failing Accepts in %v; want the backoff's waits between them, at least %v", took, least)
		}
		s.Shutdown(context.Background())
		if err := <-done; err != nil {
			t.Fatalf("Serve after Shutdown during a backoff: %v, want nil", err)
		}
	})

	t.Run("another Accept error ends Serve", func(t *testing.T) {
		want := errors.New("listener broke")
		l := &flakyListener{Listener: listen(t), err: want, fails: -1}
		defer l.Close()
		if err := (&server.Server{Codec: msgpack}).Serve(l); err != want {
			t.Fatalf("Serve = %v, want %v", err, want)
		}
	})
}
