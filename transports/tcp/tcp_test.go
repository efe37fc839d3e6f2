package tcp_test

import (
	"context"
	"net"
	"strings"
	"syscall"
	"testing"

	"go.uber.org/goleak"

	"github.com/rpcbench/rpcbench/transports"
	"github.com/rpcbench/rpcbench/transports/internal/connset"
	"github.com/rpcbench/rpcbench/transports/tcp"
	"github.com/rpcbench/rpcbench/transports/transporttest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConformance(t *testing.T) { transporttest.Run(t, tcp.Transport{}, transports.Config{}) }

func TestNagleIsOffOnBothEnds(t *testing.T) {
	l, caller, err := transports.Pair(context.Background(), tcp.Transport{}, transports.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	defer caller.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		accepted <- c
	}()
	c, err := caller.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s := <-accepted
	if s == nil {
		t.Fatal("Accept failed")
	}
	for name, conn := range map[string]net.Conn{"calling": c, "serving": s} {
		if nodelay := noDelay(t, conn.(*connset.Conn).Conn.(*net.TCPConn)); !nodelay {
			t.Errorf("%s end: TCP_NODELAY is off", name)
		}
	}
}

func noDelay(t *testing.T, c *net.TCPConn) bool {
	t.Helper()
	raw, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v int
	var serr error
	if err := raw.Control(func(fd uintptr) {
		v, serr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_NODELAY)
	}); err != nil {
		t.Fatal(err)
	}
	if serr != nil {
		t.Fatal(serr)
	}
	return v != 0
}

func TestCallNeedsAnAddress(t *testing.T) {
	if _, err := (tcp.Transport{}).Call(context.Background(), transports.Config{}); err == nil || !strings.Contains(err.Error(), "Config.Addr is empty") {
		t.Errorf("Call with no address = %v, want an error saying so", err)
	}
}
