package reverse_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/transports"
	"github.com/rpcbench/rpcbench/transports/reverse"
	"github.com/rpcbench/rpcbench/transports/transporttest"
)

// TestConformanceWithToken runs the transport battery with the worker's
// proof of the token before each connection is yielded. (With TLS the
// battery's net.Conn part cannot pass: after a write times out,
// crypto/tls refuses every later write, which nettest's FutureTimeout
// then tries; TestImpostorsCostNoCall calls over TLS.)
func TestConformanceWithToken(t *testing.T) {
	transporttest.Run(t, reverse.Transport{}, transports.Config{Token: []byte("0123456789abcdef-token")})
}

// TestImpostorsCostNoCall has a calling half that wants TLS and a token
// dialled by a silent peer, a peer sending junk, a plain-TCP worker, and a
// worker with the wrong token, and then by a real worker: Conn must yield
// the real worker's connection only, the others being dropped before any
// call goes to them.
func TestImpostorsCostNoCall(t *testing.T) {
	cfg := transports.Config{TLS: true, Insecure: true, Token: []byte("the right token, 16+ bytes")}
	caller, err := reverse.Transport{}.Call(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Close()
	addr := caller.Addr().String()

	silent, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	junk, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer junk.Close()
	junk.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
	plain := transports.Config{Addr: addr, Token: cfg.Token}
	worker(t, addr, 1, plain.Logf) // no TLS: its handshake fails
	wrong := cfg
	wrong.Addr, wrong.Token = addr, []byte("a wrong token of 16+ bytes")
	wl, err := reverse.Transport{}.Serve(context.Background(), wrong)
	if err != nil {
		t.Fatal(err)
	}
	transporttest.ServeGob(t, wl)

	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	if c, err := caller.Conn(ctx); err == nil {
		c.Close()
		t.Fatal("the calling half yielded a connection from an impostor")
	}
	cancel()

	good := cfg
	good.Addr = addr
	gl, err := reverse.Transport{}.Serve(context.Background(), good)
	if err != nil {
		t.Fatal(err)
	}
	transporttest.ServeGob(t, gl)
	ctx, cancel = context.WithTimeout(context.Background(), reconnectBound)
	defer cancel()
	c, err := caller.Conn(ctx)
	if err != nil {
		t.Fatalf("the real worker's connection never came: %v", err)
	}
	multiply(t, c)
}
