// Package transports names the ways a calling side and a serving side get a
// byte stream to each other, independent of who dials whom, and finds them
// by name. Each transport lives in a package of its own.
package transports

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"
)

// A Transport has a serving half, which yields connections to serve calls
// on, and a calling half, which yields connections to make calls over.
type Transport interface {
	Name() string
	// Serve starts the serving half. Closing the listener stops it and
	// closes the connections it yielded that are still open. Every
	// serving half's listener is also a Drainer, so that a graceful
	// shutdown can stop accepting without cutting calls in flight.
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

// Config says where and how a transport connects. The zero value serves
// on loopback and dials nothing; fields a transport has no use for are
// ignored.
type Config struct {
	// Addr is what the half that dials dials, or what the half that listens
	// listens on: host:port, a Unix socket's path, or a pipe's name. Empty
	// means the listening half picks a loopback address (tcp: 127.0.0.1:0).
	Addr string
	// Codec is the codec's name, for transports that route by it (http).
	// Empty means net/rpc's own route, as for gob.
	Codec string
	// Conns is how many connections a dialling serving half keeps open
	// (reverse). 0 means 1.
	Conns int

	// CertFile and KeyFile name a PEM certificate and its key (tls). On
	// the serving half they are the server's; empty means a self-signed
	// certificate made in memory. On the calling half they are the client
	// certificate shown to a server that asks for one; empty means none.
	CertFile, KeyFile string
	// CAFile names PEM CA certificates that the calling half verifies the
	// server's certificate against (tls). Empty means the system's roots.
	CAFile string
	// ClientCAFile names PEM CA certificates; when set, the serving half
	// requires a client certificate signed by one of them (tls). Empty
	// means client certificates are not asked for.
	ClientCAFile string
	// Insecure makes the calling half accept any server certificate
	// (tls); the handshake and encryption still happen. false means verify.
	Insecure bool
	// Pin, when set, makes the calling half accept exactly the server
	// certificate with this SHA-256 fingerprint (tls), in the form serve
	// logs (`openssl x509 -fingerprint -sha256`; colons and case are
	// ignored), instead of verifying it against CAs: how to trust a
	// self-signed certificate without --insecure.
	Pin string

	// TLS wraps a reverse link in TLS 1.3 (reverse): the dialling serving
	// half is the TLS client, verifying the calling half against CAFile
	// (or not, with Insecure) and presenting CertFile/KeyFile as its
	// client certificate; the listening calling half presents
	// CertFile/KeyFile (a self-signed certificate when empty) and, with
	// ClientCAFile, requires and verifies the worker's certificate.
	// false means plain TCP.
	TLS bool
	// Token, when not empty, is the secret a reverse worker proves it
	// knows before the calling half sends it any call (reverse): the
	// calling half sends a random challenge, the worker answers with an
	// HMAC-SHA256 of it keyed by Token, and a dialler that fails is
	// dropped without ever being yielded. Empty means no proof.
	Token []byte
	// MaxStreams caps the streams the other side opens that one session
	// serves at once (duplex); MaxSessions the workers a master serves at
	// once (duplex). 0 means the transport's default.
	MaxStreams, MaxSessions int
	// IdleTimeout closes HTTP keep-alive connections idle this long
	// (http); 0 means the handshake timeout, 10s.
	IdleTimeout time.Duration
	// SocketMode is the permission of a Unix socket file (unix); 0 means
	// 0600, owner only.
	SocketMode os.FileMode

	// Logf reports events worth a line (reconnects, handshake failures,
	// a self-signed certificate's fingerprint). nil means silent.
	Logf func(format string, args ...any)
}

// Printf reports through cfg.Logf when it is set.
func (cfg Config) Printf(format string, args ...any) {
	if cfg.Logf != nil {
		cfg.Logf(format, args...)
	}
}

// A Drainer is a serving half's listener that can stop yielding
// connections while leaving open those it has yielded, so that a server
// shutting down lets them finish the calls they have read before it closes
// them. Close, afterwards, closes whatever is still open.
type Drainer interface {
	// StopAccepting stops the listener: Accept returns net.ErrClosed,
	// new connections are refused, and yielded ones stay open.
	StopAccepting() error
}

// StopAccepting stops l without closing the connections it yielded where
// l is a Drainer, and closes it otherwise (a plain net.Listener does not
// close its connections).
func StopAccepting(l net.Listener) error {
	if d, ok := l.(Drainer); ok {
		return d.StopAccepting()
	}
	return l.Close()
}

// Reversed is implemented by a transport whose serving half dials and
// whose calling half listens (reverse), so that Pair knows which half to
// start first. A transport without the method is not reversed.
type Reversed interface {
	Reversed() bool
}

// An InProcess transport connects the two halves within one process
// only (pipe): nothing outside it can reach its serving half.
type InProcess interface {
	// InProcessOnly marks the transport; it does nothing.
	InProcessOnly()
}

// IsInProcess reports whether tr connects within one process only.
func IsInProcess(tr Transport) bool {
	_, ok := tr.(InProcess)
	return ok
}

// IsReversed reports whether tr's serving half dials its calling half.
func IsReversed(tr Transport) bool {
	r, ok := tr.(Reversed)
	return ok && r.Reversed()
}

// Pair starts both halves of tr in this process: first the half that
// listens, on cfg.Addr, then the other, pointed at the address the first
// got. Closing the listener and the caller stops them.
func Pair(ctx context.Context, tr Transport, cfg Config) (net.Listener, Caller, error) {
	if IsReversed(tr) {
		c, err := tr.Call(ctx, cfg)
		if err != nil {
			return nil, nil, err
		}
		cfg.Addr = c.Addr().String()
		l, err := tr.Serve(ctx, cfg)
		if err != nil {
			c.Close()
			return nil, nil, err
		}
		return l, c, nil
	}
	l, err := tr.Serve(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	cfg.Addr = l.Addr().String()
	c, err := tr.Call(ctx, cfg)
	if err != nil {
		l.Close()
		return nil, nil, err
	}
	return l, c, nil
}

var (
	mu       sync.RWMutex // guards registry
	registry []Transport  // every registered transport, in registration order
)

// Register adds t to the registry. Each transport package registers itself
// in its init function (with MustRegister); package transports/all imports
// the built-in ones, so adding a transport is one package and one line
// there, and a team's transport in its own module is one import of its
// package. It fails when t's name is empty or already taken.
func Register(t Transport) error {
	name := t.Name()
	if name == "" || strings.ContainsAny(name, ", \t\n/=") {
		return fmt.Errorf("transports: cannot register %T under name %q: want a non-empty name without spaces, commas, slashes or '='", t, name)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, have := range registry {
		if have.Name() == name {
			return fmt.Errorf("transports: a transport named %q is already registered (%T)", name, have)
		}
	}
	registry = append(registry, t)
	return nil
}

// MustRegister is Register for an init function: it panics on an error.
func MustRegister(t Transport) {
	if err := Register(t); err != nil {
		panic(err)
	}
}

// Lookup returns the transport called name.
func Lookup(name string) (Transport, error) {
	mu.RLock()
	defer mu.RUnlock()
	for _, t := range registry {
		if t.Name() == name {
			return t, nil
		}
	}
	return nil, fmt.Errorf("transports: unknown transport %q (have %s)", name, strings.Join(names(), ", "))
}

// Names lists the registered transports in registry order.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	return names()
}

// names is Names for a caller that holds mu.
func names() []string {
	out := make([]string, len(registry))
	for i, t := range registry {
		out[i] = t.Name()
	}
	return out
}

// Temporary reports whether an Accept error passes by itself: running out
// of file descriptors (EMFILE, ENFILE), a connection aborted before it was
// accepted, or a listener's own error that says so. An accept loop backs
// off on these rather than ending. (net.Error's Temporary is deprecated for
// its vague "timeout or not", not for Accept, where net/http relies on it.)
func Temporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}
