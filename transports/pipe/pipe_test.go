package pipe_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

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

// TestConnWithACancelledContextFailsWhileAcceptWaits: Conn with a cancelled context
// fails even while an Accept waits for it, each of 100 times. A select
// picks at random among ready cases, so a Conn that left the choice to it
// handed over a connection about half the time (CI failed on that).
func TestConnWithACancelledContextFailsWhileAcceptWaits(t *testing.T) {
	ctx := context.Background()
	l, err := pipe.Transport{}.Serve(ctx, transports.Config{Addr: "cancelled"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	caller, err := pipe.Transport{}.Call(ctx, transports.Config{Addr: "cancelled"})
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Close()
	accepted := make(chan error, 1)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return // the listener closed at the test's end
			}
			c.Close()
			select { // the first one fails the test; more must not block this goroutine
			case accepted <- errors.New("Accept yielded a connection"):
			default:
			}
		}
	}()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for i := range 100 {
		time.Sleep(time.Millisecond) // for Accept to be waiting again
		if c, err := caller.Conn(cancelled); err == nil {
			c.Close()
			t.Fatalf("try %d: Conn with a cancelled context yielded a connection", i)
		}
	}
	select {
	case err := <-accepted:
		t.Fatal(err)
	default:
	}
}
