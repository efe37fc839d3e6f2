package transports_test

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/rpcbench/rpcbench/transports"
)

// named is a transport a test registers; it never connects anything.
type named string

func (n named) Name() string { return string(n) }
func (named) Serve(context.Context, transports.Config) (net.Listener, error) {
	return nil, net.ErrClosed
}
func (named) Call(context.Context, transports.Config) (transports.Caller, error) {
	return nil, net.ErrClosed
}

func TestRegister(t *testing.T) {
	if err := transports.Register(named("test-one")); err != nil {
		t.Fatalf("Register(test-one): %v", err)
	}
	if tr, err := transports.Lookup("test-one"); err != nil || tr.Name() != "test-one" {
		t.Fatalf("Lookup(test-one) = %v, %v", tr, err)
	}
	for _, bad := range []string{"test-one", "", "a,b", "a b", "a/b", "a=b"} {
		err := transports.Register(named(bad))
		if err == nil || !strings.Contains(err.Error(), `"`+bad+`"`) {
			t.Errorf("Register(%q) error = %v; want one naming it", bad, err)
		}
	}
	if got := transports.Names(); len(got) != 1 || got[0] != "test-one" {
		t.Errorf("Names() = %v after refused registrations; want [test-one]", got)
	}
	if _, err := transports.Lookup("nope"); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("Lookup(nope) error = %v; want one naming it", err)
	}
}
