package harness_test

import (
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/harness"
	"github.com/rpcbench/rpcbench/measure"
	"github.com/rpcbench/rpcbench/payload"
	"github.com/rpcbench/rpcbench/service"
	"github.com/rpcbench/rpcbench/stack"
)

func TestEveryConfigurationHasOneName(t *testing.T) {
	msgpack, err := codecs.Lookup("msgpack")
	if err != nil {
		t.Fatal(err)
	}
	codec := stack.Codec{Codec: msgpack}
	base := "RPC/codec=msgpack/transport=tcp/payload=bytes:16"
	tests := []struct {
		name string
		edit func(*harness.Config)
		want string
	}{
		{"one caller has no conns key, whatever --conns says", func(c *harness.Config) { c.Concurrency, c.Conns = 1, 4 },
			base + "/conc=1"},
		{"one caller on one connection is the same configuration", func(c *harness.Config) { c.Concurrency, c.Conns = 1, 1 },
			base + "/conc=1"},
		{"callers on a connection each have no conns key", func(c *harness.Config) { c.Concurrency, c.Conns = 16, 64 },
			base + "/conc=16"},
		{"callers sharing fewer connections say how many", func(c *harness.Config) { c.Concurrency, c.Conns = 16, 4 },
			base + "/conc=16/conns=4"},
		{"pipelined callers on a connection each have no conns key", func(c *harness.Config) { c.Concurrency, c.Conns, c.Pipeline = 4, 4, 8 },
			base + "/conc=4/pipeline=8"},
		{"a stack that can't share connections never has a conns key", func(c *harness.Config) { c.Stack, c.Concurrency, c.Conns = stack.Floor{}, 16, 4 },
			"RPC/peer=floor/transport=tcp/payload=bytes:16/conc=16"},
		{"the network profile comes after the transport", func(c *harness.Config) { c.Net = "wan" },
			"RPC/codec=msgpack/transport=tcp/net=wan/payload=bytes:16/conc=1"},
		{"open loop says its rate", func(c *harness.Config) { c.Rate = 20000 }, base + "/conc=1/rate=20000"},
		{"the default workload is not written", func(c *harness.Config) { c.Workload = harness.Call{} }, base + "/conc=1"},
		{"watch is", func(c *harness.Config) { c.Workload, c.Concurrency, c.Conns, c.Rate = harness.Watch{}, 100, 4, 1000 },
			base + "/conc=100/conns=4/rate=1000/workload=watch"},
		{"duplex with the same load both ways is plain duplex", func(c *harness.Config) { c.Workload = harness.Duplex{} },
			base + "/conc=1/workload=duplex"},
		{"duplex says what went the other way when it differs", func(c *harness.Config) {
			c.Workload = harness.Duplex{Back: 4, BackPayload: mustPayload(t, "bytes:64KiB")}
		}, base + "/conc=1/workload=duplex-against-bytes:64KiBx4"},
		{"sleeping work", func(c *harness.Config) { c.Delay = &service.Delay{Work: 200 * time.Microsecond} },
			base + "/conc=1/work=200us"},
		{"busy work", func(c *harness.Config) { c.Delay = &service.Delay{Work: time.Millisecond, Busy: true} },
			base + "/conc=1/work=1ms/busy"},
		{"busy without work is no work", func(c *harness.Config) { c.Delay = &service.Delay{Busy: true} }, base + "/conc=1"},
		{"stalls", func(c *harness.Config) {
			c.Delay = &service.Delay{StallEvery: time.Second, StallFor: 50 * time.Millisecond}
		}, base + "/conc=1/stall=1s:50ms"},
		{"the default message cap is not written", func(c *harness.Config) { c.MaxMessage = 64 << 20 }, base + "/conc=1"},
		{"another message cap is", func(c *harness.Config) { c.MaxMessage = 1 << 20 }, base + "/conc=1/max-message=1048576"},
		{"logging in", func(c *harness.Config) { c.Stack = stack.Codec{Codec: msgpack, Token: []byte("secret")} },
			base + "/conc=1/auth"},
		{"mutual TLS", func(c *harness.Config) { c.TransportConfig.CertFile, c.TransportConfig.KeyFile = "c.pem", "k.pem" },
			base + "/conc=1/tls=mutual"},
		{"every key in its place", func(c *harness.Config) {
			c.Concurrency, c.Conns, c.Pipeline, c.Rate, c.MaxMessage = 16, 2, 4, 1000, 4096
			c.Delay = &service.Delay{Work: time.Millisecond, Busy: true, StallEvery: time.Second, StallFor: 10 * time.Millisecond}
			c.Stack = stack.Codec{Codec: msgpack, Token: []byte("secret")}
			c.TransportConfig.ClientCAFile = "ca.pem"
		}, base + "/conc=16/conns=2/pipeline=4/rate=1000/work=1ms/busy/stall=1s:10ms/max-message=4096/auth/tls=mutual"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config(t, codec, "bytes:16")
			cfg.Concurrency, cfg.Conns = 1, 4
			tt.edit(&cfg)
			if got := cfg.Name(); got != tt.want {
				t.Errorf("name\n  %s\nwant\n  %s", got, tt.want)
			}
		})
	}
}

func TestStackIDsReadBack(t *testing.T) {
	msgpack, err := codecs.Lookup("msgpack")
	if err != nil {
		t.Fatal(err)
	}
	c := stack.Codec{Codec: msgpack}
	if c.Name() != msgpack.Name() {
		t.Errorf("stack.Codec.Name() = %q; want the codec's own %q", c.Name(), msgpack.Name())
	}
	for _, s := range []stack.Stack{c, stack.Floor{}, stack.FloorMux{}} {
		id := s.ID()
		back, err := measure.ParseID(id.String())
		if err != nil || back != id {
			t.Errorf("ParseID(%q) = %v, %v; want %v", id.String(), back, err, id)
		}
	}
	if got := measure.Label("codec=msgpack"); got != "msgpack" {
		t.Errorf("Label(codec=msgpack) = %q; want msgpack", got)
	}
	if _, err := measure.ParseID("floor"); err == nil {
		t.Error("ParseID(floor): no error; want one naming the form")
	}
}

func mustPayload(t *testing.T, s string) payload.Payload {
	t.Helper()
	p, err := payload.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
