// Package transports names the ways a calling side and a serving side get a
// byte stream to each other, independent of who dials whom, and finds them
// by name. Each transport lives in a package of its own.
package transports

import (
	"context"
	"fmt"
	"net"
	"strings"
)

// A Transport has a serving half, which yields connections to serve calls
// on, and a calling half, which yields connections to make calls over.
type Transport interface {
	Name() string
	// Serve starts the serving half. Closing the listener stops it and
	// closes the connections it yielded that are still open.
	Serve(ctx context.Context, cfg Config) (net.Listener, error)
	// Call starts the calling half.
	Call(ctx context.Context, cfg Config) (Caller, error)
}

// A Caller yields connections to make calls over: dialled, or, for
// transports where the serving side dials, accepted.
type Caller interface {
	// Conn returns the next connection; it blocks until one exists or ctx ends.
	Conn(ctx context.Context) (net.Conn, error)
	// Addr is the address the calling half dials or listens on.
	Addr() net.Addr
	// Close stops the calling half and closes the connections it yielded.
	Close() error
}

// Config says where and how a transport connects.
type Config struct {
	// Addr is what the half that dials dials, or what the half that listens
	// listens on. The serving half of a listening transport listens on
	// 127.0.0.1:0 when Addr is empty.
	Addr string
	// Codec is the codec's name, for transports that route by it (http).
	Codec string
	// Conns is how many connections a dialling serving half keeps open
	// (reverse). 0 means 1.
	Conns int
	// Logf reports events worth a line (reconnects, handshake failures).
	// nil means silent.
	Logf func(format string, args ...any)
}

// registry holds every registered transport, in registration order.
var registry []Transport

// Register adds t to the registry. Each transport package registers itself
// in its init function; package transports/all imports them all, so adding a
// transport is one package and one line there.
func Register(t Transport) {
	registry = append(registry, t)
}

// Lookup returns the transport called name.
func Lookup(name string) (Transport, error) {
	for _, t := range registry {
		if t.Name() == name {
			return t, nil
		}
	}
	return nil, fmt.Errorf("transports: unknown transport %q (have %s)", name, strings.Join(Names(), ", "))
}

// Names lists the registered transports in registry order.
func Names() []string {
	names := make([]string, len(registry))
	for i, t := range registry {
		names[i] = t.Name()
	}
	return names
}
