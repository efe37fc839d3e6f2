package httpconnect_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/rpc"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/rpcbench/rpcbench/service"
	"github.com/rpcbench/rpcbench/transports"
	"github.com/rpcbench/rpcbench/transports/httpconnect"
	"github.com/rpcbench/rpcbench/transports/transporttest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConformance(t *testing.T) {
	transporttest.Run(t, httpconnect.Transport{}, transports.Config{Codec: "msgpack"})
}

func multiply(t *testing.T, client *rpc.Client) {
	t.Helper()
	defer client.Close()
	var p service.Product
	if err := client.Call("Arith.Multiply", &service.Args{A: 6, B: 7}, &p); err != nil {
		t.Fatalf("Arith.Multiply: %v", err)
	}
	if p.Value != 42 {
		t.Fatalf("Arith.Multiply(6, 7) = %d, want 42", p.Value)
	}
}

func TestStdlibDialHTTPAgainstServe(t *testing.T) {
	l, err := httpconnect.Transport{}.Serve(context.Background(), transports.Config{Codec: "gob"})
	if err != nil {
		t.Fatal(err)
	}
	transporttest.ServeGob(t, l)
	client, err := rpc.DialHTTP("tcp", l.Addr().String())
	if err != nil {
		t.Fatalf("rpc.DialHTTP: %v", err)
	}
	multiply(t, client)
}

// stdlibServer is net/rpc's own HandleHTTP endpoint, on a mux of its own
// rather than http.DefaultServeMux.
func stdlibServer(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.Handle(rpc.DefaultRPCPath, service.NewServer())
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func call(t *testing.T, addr, codec string) (net.Conn, error) {
	t.Helper()
	caller, err := httpconnect.Transport{}.Call(context.Background(), transports.Config{Addr: addr, Codec: codec})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { caller.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return caller.Conn(ctx)
}

func TestCallAgainstStdlibHandleHTTP(t *testing.T) {
	s := stdlibServer(t)
	c, err := call(t, s.Listener.Addr().String(), "gob")
	if err != nil {
		t.Fatal(err)
	}
	multiply(t, rpc.NewClient(c))
}

func TestHandlerInAUserMux(t *testing.T) {
	h := httpconnect.NewHandler("gob")
	mux := http.NewServeMux()
	mux.Handle(h.Path(), h)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	s := httptest.NewServer(mux)
	defer s.Close()
	transporttest.ServeGob(t, h)

	client, err := rpc.DialHTTP("tcp", s.Listener.Addr().String())
	if err != nil {
		t.Fatalf("rpc.DialHTTP: %v", err)
	}
	multiply(t, client)
	resp, err := http.Get(s.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "ok" {
		t.Errorf("the mux's other handler answered %q", body)
	}
}

func TestWrongRequestsGetReadableErrors(t *testing.T) {
	l, err := httpconnect.Transport{}.Serve(context.Background(), transports.Config{Codec: "msgpack"})
	if err != nil {
		t.Fatal(err)
	}
	transporttest.ServeGob(t, l)
	addr := l.Addr().String()

	t.Run("a client of another codec", func(t *testing.T) {
		_, err := call(t, addr, "json")
		for _, want := range []string{"404", "/_rpcbench_/json", "msgpack at CONNECT /_rpcbench_/msgpack"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("got %v, want an error containing %q", err, want)
			}
		}
	})
	t.Run("stdlib DialHTTP at the gob path", func(t *testing.T) {
		if _, err := rpc.DialHTTP("tcp", addr); err == nil || !strings.Contains(err.Error(), "404") {
			t.Errorf("got %v, want a 404", err)
		}
	})
	t.Run("GET", func(t *testing.T) {
		client := &http.Client{Timeout: 10 * time.Second}
		resp, err := client.Get("http://" + addr + httpconnect.Path("msgpack"))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		client.CloseIdleConnections()
		if resp.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(string(body), "CONNECT /_rpcbench_/msgpack") {
			t.Errorf("GET answered %s %q, want 405 naming the CONNECT to send", resp.Status, body)
		}
	})
	t.Run("a msgpack client against stdlib HandleHTTP", func(t *testing.T) {
		s := stdlibServer(t)
		_, err := call(t, s.Listener.Addr().String(), "msgpack")
		if err == nil || !strings.Contains(err.Error(), "404") {
			t.Errorf("got %v, want a 404", err)
		}
	})
}

func TestPaths(t *testing.T) {
	for codec, want := range map[string]string{"": "/_goRPC_", "gob": "/_goRPC_", "msgpack": "/_rpcbench_/msgpack"} {
		if got := httpconnect.Path(codec); got != want {
			t.Errorf("Path(%q) = %q, want %q", codec, got, want)
		}
	}
}
