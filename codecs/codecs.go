// Package codecs names the net/rpc codecs rpcbench can speak and finds them
// by name. Each codec lives in a package of its own; this one only holds the
// interface and the registry.
package codecs

import (
	"fmt"
	"io"
	"net/rpc"
	"slices"
	"strings"
)

// A Codec makes net/rpc client and server codecs of one wire format over a
// byte stream.
type Codec interface {
	Name() string
	NewClientCodec(io.ReadWriteCloser) rpc.ClientCodec
	NewServerCodec(io.ReadWriteCloser) rpc.ServerCodec
}

// Options configures a codec from the registry.
type Options struct {
	// MaxMessage caps the size of one message in bytes, in both directions.
	// 0 means the default, 64 MiB (frame.DefaultMax).
	MaxMessage int
}

// Lookup returns the codec called name with default options.
func Lookup(name string) (Codec, error) {
	return New(name, Options{})
}

// New returns the codec called name configured by opts.
func New(name string, opts Options) (Codec, error) {
	for _, make := range registry {
		if c := make(opts); c.Name() == name {
			return c, nil
		}
	}
	return nil, fmt.Errorf("codecs: unknown codec %q (have %s)", name, strings.Join(Names(), ", "))
}

// Names lists the registered codecs in registry order.
func Names() []string {
	names := make([]string, 0, len(registry))
	for _, make := range registry {
		names = append(names, make(Options{}).Name())
	}
	return slices.Clip(names)
}
