package main

import (
	"flag"

	"github.com/rpcbench/rpcbench/transports"
	_ "github.com/rpcbench/rpcbench/transports/all"
)

// transportFlags are the flags that choose and configure a transport.
type transportFlags struct {
	transport string
	addr      string
}

func addTransportFlags(fs *flag.FlagSet) *transportFlags {
	f := new(transportFlags)
	fs.StringVar(&f.transport, "transport", "tcp", "how connections are made: one of rpcbench list's transports")
	fs.StringVar(&f.addr, "addr", "", "address to serve on (serve; default 127.0.0.1 on a free port) or to call (call)")
	return f
}

// config returns the chosen transport and its configuration for codec.
func (f *transportFlags) config(codec string) (transports.Transport, transports.Config, error) {
	t, err := transports.Lookup(f.transport)
	if err != nil {
		return nil, transports.Config{}, err
	}
	return t, transports.Config{Addr: f.addr, Codec: codec}, nil
}
