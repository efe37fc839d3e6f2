package codectest

import (
	"errors"
	"io"
	"net"
	"net/rpc"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/service"
)

// server serves the service with one codec on a loopback listener and
// tracks its connections so that a test can end them all.
type server struct {
	l  net.Listener
	wg sync.WaitGroup // one per accept loop and served connection

	mu    sync.Mutex // guards conns
	conns map[net.Conn]struct{}
}

func startServer(t *testing.T, c codecs.Codec) *server {
	t.Helper()
	s := &server{l: listen(t), conns: make(map[net.Conn]struct{})}
	track(t, closer(s.closeConns))
	srv := service.NewServer()
	s.wg.Go(func() {
		for {
			conn, err := s.l.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns[conn] = struct{}{}
			s.mu.Unlock()
			s.wg.Go(func() { srv.ServeCodec(c.NewServerCodec(conn)) })
		}
	})
	t.Cleanup(func() {
		s.l.Close()
		s.closeConns()
		s.wg.Wait()
	})
	return s
}

func (s *server) closeConns() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for conn := range s.conns {
		conn.Close()
	}
}

// client returns a client over a new connection, closed when the test ends.
func (s *server) client(t *testing.T, c codecs.Codec) *rpc.Client {
	t.Helper()
	client := rpc.NewClientWithCodec(c.NewClientCodec(s.dialRaw(t)))
	t.Cleanup(func() { client.Close() })
	return client
}

func (s *server) dialRaw(t *testing.T) net.Conn {
	t.Helper()
	return dial(t, s.l.Addr().String())
}

// dial connects to addr over loopback TCP; the connection is closed when
// the test ends or its watchdog fires.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	track(t, conn)
	t.Cleanup(func() { conn.Close() })
	return conn
}

// closer adapts a function to io.Closer.
type closer func()

func (f closer) Close() error { f(); return nil }

// checkServing fails the test unless a fresh connection gets a correct
// answer at once.
func (s *server) checkServing(t *testing.T, c codecs.Codec) {
	t.Helper()
	conn := s.dialRaw(t)
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	client := rpc.NewClientWithCodec(c.NewClientCodec(conn))
	defer client.Close()
	var p service.Product
	if err := client.Call("Arith.Multiply", &service.Args{A: 6, B: 7}, &p); err != nil || p.GetValue() != 42 {
		t.Fatalf("server no longer serving: Arith.Multiply = %d, %v; want 42", p.GetValue(), err)
	}
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	track(t, l)
	t.Cleanup(func() { l.Close() })
	return l
}

func mustWrite(t *testing.T, conn net.Conn, b []byte) {
	t.Helper()
	if _, err := conn.Write(b); err != nil {
		t.Fatalf("writing %d bytes: %v", len(b), err)
	}
}

// expectClosed fails the test unless the far end closes conn soon,
// discarding anything it sends first (such as an error reply).
func expectClosed(t *testing.T, conn net.Conn) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := io.Copy(io.Discard, conn)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("the server kept a broken connection open")
	}
}

// Request returns the bytes c's client codec writes for one call.
func Request(c codecs.Codec, seq uint64, method string, args any) []byte {
	var rw bufferRWC
	cc := c.NewClientCodec(&rw)
	if err := cc.WriteRequest(&rpc.Request{ServiceMethod: method, Seq: seq}, args); err != nil {
		panic("codectest: encoding a request: " + err.Error())
	}
	return rw.out
}

// Response returns the bytes c's server codec writes to answer the call
// that Request(c, seq, method, args) encodes, with reply or, when errText
// is not empty, that error.
func Response(c codecs.Codec, seq uint64, method string, args, reply any, errText string) []byte {
	rw := bufferRWC{in: Request(c, seq, method, args)}
	sc := c.NewServerCodec(&rw)
	defer sc.Close() // a codec may write from a goroutine of its own until closed
	var req rpc.Request
	if err := sc.ReadRequestHeader(&req); err != nil {
		panic("codectest: decoding a request: " + err.Error())
	}
	if err := sc.ReadRequestBody(nil); err != nil {
		panic("codectest: decoding a request body: " + err.Error())
	}
	if err := sc.WriteResponse(&rpc.Response{ServiceMethod: req.ServiceMethod, Seq: req.Seq, Error: errText}, reply); err != nil {
		panic("codectest: encoding a response: " + err.Error())
	}
	return rw.out
}

// bufferRWC reads from in and appends what is written to out.
type bufferRWC struct {
	in  []byte
	out []byte
}

func (b *bufferRWC) Read(p []byte) (int, error) {
	if len(b.in) == 0 {
		return 0, io.EOF
	}
	n := copy(p, b.in)
	b.in = b.in[n:]
	return n, nil
}

func (b *bufferRWC) Write(p []byte) (int, error) {
	b.out = append(b.out, p...)
	return len(p), nil
}

func (b *bufferRWC) Close() error { return nil }

// ServeOne accepts one loopback connection, runs handle on it and returns
// the calling end; when the test ends it closes that end and waits for
// handle to return. Codec tests use it to play a peer byte by byte.
func ServeOne(t *testing.T, handle func(net.Conn)) net.Conn {
	t.Helper()
	l := listen(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		conn, err := l.Accept()
		l.Close()
		if err == nil {
			handle(conn)
		}
	}()
	conn, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	track(t, conn)
	t.Cleanup(func() {
		conn.Close()
		<-done
	})
	return conn
}

// Allocated returns the bytes fn allocates on the heap.
func Allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
