package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/server"
	"github.com/rpcbench/rpcbench/service"
)

// BenchmarkServe measures what login and the idle timeout add to a call,
// client and server together:
//
//	go test ./server -run X -bench Serve -benchtime 20000x
func BenchmarkServe(b *testing.B) {
	msgpack, err := codecs.Lookup("msgpack")
	if err != nil {
		b.Fatal(err)
	}
	for _, bb := range []struct {
		name  string
		idle  time.Duration
		token string
	}{
		{"plain", 0, ""},
		{"idle-timeout", time.Minute, ""},
		{"auth", 0, token},
	} {
		b.Run(bb.name, func(b *testing.B) {
			s := &server.Server{IdleTimeout: bb.idle, Token: []byte(bb.token)}
			addr, _ := start(b, msgpack, s)
			client := dial(b, msgpack, addr)
			if bb.token != "" {
				if err := server.Login(context.Background(), client, s.Token); err != nil {
					b.Fatal(err)
				}
			}
			args, reply := &service.Args{A: 6, B: 7}, new(service.Product)
			b.ReportAllocs()
			for b.Loop() {
				if err := client.Call("Arith.Multiply", args, reply); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
