package pipe_test

import (
	"context"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/rpcbench/rpcbench/transports"
	"github.com/rpcbench/rpcbench/transports/pipe"
	"github.com/rpcbench/rpcbench/transports/transporttest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConformance(t *testing.T) { transporttest.Run(t, pipe.Transport{}, transports.Config{}) }

func TestNamesMeetWithinTheProcess(t *testing.T) {
	ctx := context.Background()
	l, err := pipe.Transport{}.Serve(ctx, transports.Config{Addr: "bench"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (pipe.Transport{}).Serve(ctx, transports.Config{Addr: "bench"}); err == nil || !strings.Contains(err.Error(), `"bench" is already serving`) {
		t.Errorf("a second listener called bench: %v, want an error", err)
	}
	l.Close()
	caller, err := pipe.Transport{}.Call(ctx, transports.Config{Addr: "bench"})
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Close()
	if _, err := caller.Conn(ctx); err == nil || !strings.Contains(err.Error(), `no listener called "bench" in this process`) {
		t.Errorf("Conn after the listener closed: %v, want an error naming it", err)
	}
	// The name is free again.
	l, err = pipe.Transport{}.Serve(ctx, transports.Config{Addr: "bench"})
	if err != nil {
		t.Fatalf("serving bench again: %v", err)
	}
	l.Close()
}
