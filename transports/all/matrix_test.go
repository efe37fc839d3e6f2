package all_test

import (
	"context"
	"net"
	"net/rpc"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/codecs/codectest"
	"github.com/rpcbench/rpcbench/service"
	"github.com/rpcbench/rpcbench/stack"
	"github.com/rpcbench/rpcbench/transports"
	_ "github.com/rpcbench/rpcbench/transports/all"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// config is what every transport needs to run in one process: tls's
// self-signed certificate is accepted unverified.
func config(codec string) transports.Config {
	return transports.Config{Codec: codec, Insecure: true}
}

// served is a transport's serving half running srv with one codec.
type served struct {
	l      net.Listener
	caller transports.Caller
}

// serve starts both halves of tr and serves the service with codec on
// every connection the serving half yields.
func serve(tb testing.TB, tr transports.Transport, codec codecs.Codec) *served {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l, caller, err := transports.Pair(ctx, tr, config(codec.Name()))
	if err != nil {
		tb.Fatalf("%s: %v", tr.Name(), err)
	}
	s := &served{l: l, caller: caller}
	srv := service.NewServer()
	each := stack.ServeEach(l, func(c net.Conn) { srv.ServeCodec(codec.NewServerCodec(c)) })
	tb.Cleanup(func() {
		caller.Close()
		each.Close()
	})
	return s
}

// conn returns a connection from the calling half.
func (s *served) conn(tb testing.TB) net.Conn {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := s.caller.Conn(ctx)
	if err != nil {
		tb.Fatalf("Conn: %v", err)
	}
	return c
}

func TestEveryCodecOverEveryTransport(t *testing.T) {
	if len(codecs.Names()) == 0 || len(transports.Names()) < 6 {
		t.Fatalf("codecs %v, transports %v: the matrix needs them registered", codecs.Names(), transports.Names())
	}
	for _, cname := range codecs.Names() {
		codec, err := codecs.Lookup(cname)
		if err != nil {
			t.Fatal(err)
		}
		for _, tname := range transports.Names() {
			tr, err := transports.Lookup(tname)
			if err != nil {
				t.Fatal(err)
			}
			t.Run("codec="+cname+"/transport="+tname, func(t *testing.T) {
				s := serve(t, tr, codec)
				client := rpc.NewClientWithCodec(codec.NewClientCodec(s.conn(t)))
				defer client.Close()
				codectest.Calls(t, client)
			})
		}
	}
}
