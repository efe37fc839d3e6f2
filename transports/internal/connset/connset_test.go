package connset

import (
	"errors"
	"net"
	"testing"
)

func TestClosedConnectionsLeaveTheSet(t *testing.T) {
	var s Set
	var conns []*Conn
	for range 3 {
		a, b := net.Pipe()
		defer b.Close()
		c, err := s.Add(a)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	conns[1].Close()
	if n := s.Len(); n != 2 {
		t.Fatalf("after closing one of 3, the set holds %d", n)
	}
	if err := conns[1].Close(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("second Close = %v, want net.ErrClosed", err)
	}
	select {
	case <-conns[1].Done():
	default:
		t.Error("Done not closed after Close")
	}
	s.Close()
	if n := s.Len(); n != 0 {
		t.Fatalf("after Close, the set holds %d", n)
	}
	for i, c := range conns {
		if _, err := c.Write([]byte("x")); err == nil {
			t.Errorf("connection %d still writable after the set closed", i)
		}
	}
	a, b := net.Pipe()
	defer b.Close()
	if _, err := s.Add(a); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Add to a closed set = %v, want net.ErrClosed", err)
	}
	if _, err := a.Write([]byte("x")); err == nil {
		t.Error("a connection added to a closed set was left open")
	}
}

func TestCloseWriteWhereUnsupported(t *testing.T) {
	var s Set
	a, b := net.Pipe()
	defer b.Close()
	c, _ := s.Add(a)
	defer c.Close()
	if err := c.CloseWrite(); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("CloseWrite on net.Pipe = %v, want errors.ErrUnsupported", err)
	}
}
