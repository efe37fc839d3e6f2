// Package codecs names the net/rpc codecs rpcbench can speak and finds them
// by name. Each codec lives in a package of its own; this one holds the
// interface and the registry: the built-in codecs (registry.go) and those a
// team registers from its own module with Register.
package codecs

import (
	"errors"
	"fmt"
	"io"
	"net/rpc"
	"slices"
	"strings"
	"sync"
)

// A Codec makes net/rpc client and server codecs of one wire format over a
// byte stream.
type Codec interface {
	Name() string
	NewClientCodec(io.ReadWriteCloser) rpc.ClientCodec
	NewServerCodec(io.ReadWriteCloser) rpc.ServerCodec
}

// Library is implemented by a codec that names the library its encoding
// comes from, so that rpcbench list and a results table can say which
// library a figure measures: the format alone does not.
type Library interface {
	Codec
	// Library returns the library's module path and version as the
	// running binary has them ("github.com/tinylib/msgp v1.6.5"), or the
	// standard library's package.
	Library() string
}

// A Variant is a codec that speaks another codec's wire format through
// another library (json-segmentio writes json's bytes with segmentio's
// encoding/json): a table that compares formats takes each format at its
// fastest library, and says what the library alone moves.
type Variant interface {
	Codec
	// Format returns the name of the codec whose wire format this one
	// speaks ("json"); a codec that is not a variant returns its own name.
	Format() string
}

// Identity is what a codec is made of: the wire format it speaks, named
// after the codec that first spoke it ("json" for json-segmentio), and
// its library's module path without version ("github.com/segmentio/encoding";
// empty where the codec does not say).
type Identity struct {
	Format  string
	Library string
}

// Identify returns the identity of the codec called name; ok is false when
// there is none such.
func Identify(name string) (id Identity, ok bool) {
	c, err := Lookup(name)
	if err != nil {
		return Identity{}, false
	}
	id.Format = name
	if v, ok := c.(Variant); ok {
		id.Format = v.Format()
	}
	if l, ok := c.(Library); ok {
		// "path version[, path version]": the first module is the codec's own.
		id.Library, _, _ = strings.Cut(l.Library(), " ")
	}
	return id, true
}

// Describe lists the codecs as Names does, each with the library it names
// (Library), the names padded to line the libraries up.
func Describe() []string {
	names := Names()
	width := 0
	for _, name := range names {
		width = max(width, len(name))
	}
	out := make([]string, len(names))
	for i, name := range names {
		out[i] = name
		if c, err := Lookup(name); err == nil {
			if l, ok := c.(Library); ok {
				out[i] = fmt.Sprintf("%-*s  %s", width, name, l.Library())
			}
		}
	}
	return out
}

// Capped is implemented by a registered codec that takes a message cap, so
// that Options.MaxMessage (--max-message) reaches it. A registered codec
// without the method always runs with its own limits.
type Capped interface {
	Codec
	// WithMaxMessage returns the codec with reads capped at n bytes a
	// message; n is always positive.
	WithMaxMessage(n int) Codec
}

// Retainer is implemented by the connection a server hands a codec
// (rpcbench's server does) when the server counts what codecs
// keep for a connection's whole life, beyond one call, toward its memory
// budget: gob's type definitions, a codec's own dictionaries or caches. A
// codec that keeps such state calls Retain with each addition, if its
// connection implements it, and ends the connection with the error Retain
// returns when the server can keep no more. The bytes count until the
// connection closes.
type Retainer interface {
	Retain(n int64) error
}

// Options configures a codec from the registry.
type Options struct {
	// MaxMessage caps the size of one message a codec reads, in bytes: a
	// larger message (or a length prefix or element count claiming one)
	// fails its connection before anything is allocated for it. The cap
	// bounds reads only: what a codec writes is bounded by the peer's own
	// cap, so a codec writes a message over its cap if asked and the peer
	// refuses it. 0 means the default, 64 MiB (frame.DefaultMax).
	MaxMessage int
}

var (
	mu         sync.RWMutex // guards registered
	registered []Codec      // codecs added with Register, in order
)

// Register adds c to the registry, after the built-in codecs, so that every
// command and the harness can use it by name: a team calls it from its
// codec package's init and imports that package for its side effect. It
// fails when c's name is empty or already taken.
func Register(c Codec) error {
	name := c.Name()
	if name == "" || strings.ContainsAny(name, ", \t\n/=") {
		return fmt.Errorf("codecs: cannot register %T under name %q: want a non-empty name without spaces, commas, slashes or '='", c, name)
	}
	mu.Lock()
	defer mu.Unlock()
	if slices.Contains(names(), name) {
		return fmt.Errorf("codecs: a codec named %q is already registered", name)
	}
	registered = append(registered, c)
	return nil
}

// MustRegister is Register for an init function: it panics on an error.
func MustRegister(c Codec) {
	if err := Register(c); err != nil {
		panic(err)
	}
}

// ErrUnknown is wrapped by the error Lookup and New return for a name that
// is not registered.
var ErrUnknown = errors.New("unknown codec")

// Lookup returns the codec called name with default options.
func Lookup(name string) (Codec, error) {
	return New(name, Options{})
}

// New returns the codec called name configured by opts.
func New(name string, opts Options) (Codec, error) {
	for _, make := range builtin {
		if c := make(opts); c.Name() == name {
			return c, nil
		}
	}
	mu.RLock()
	defer mu.RUnlock()
	for _, c := range registered {
		if c.Name() != name {
			continue
		}
		if capped, ok := c.(Capped); ok && opts.MaxMessage > 0 {
			return capped.WithMaxMessage(opts.MaxMessage), nil
		}
		return c, nil
	}
	return nil, fmt.Errorf("codecs: %w %q (have %s)", ErrUnknown, name, strings.Join(names(), ", "))
}

// Names lists the codecs: the built-in ones first, then those registered,
// in registration order.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	return names()
}

// names is Names for a caller that holds mu.
func names() []string {
	out := make([]string, 0, len(builtin)+len(registered))
	for _, make := range builtin {
		out = append(out, make(Options{}).Name())
	}
	for _, c := range registered {
		out = append(out, c.Name())
	}
	return slices.Clip(out)
}

// A StructOnly codec encodes only the service's generated structs (Thrift
// writes them through their generated Write methods): it cannot carry a
// foreign method's arbitrary arguments.
type StructOnly interface {
	// EncodesGeneratedStructsOnly marks the codec; it does nothing.
	EncodesGeneratedStructsOnly()
}

// StructsOnly reports whether c is a StructOnly codec.
func StructsOnly(c Codec) bool {
	_, ok := c.(StructOnly)
	return ok
}
