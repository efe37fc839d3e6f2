package cli

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/rpcbench/rpcbench/transports"
	_ "github.com/rpcbench/rpcbench/transports/all"
	"github.com/rpcbench/rpcbench/transports/netem"
)

// transportFlags are the flags that choose and configure a transport.
type transportFlags struct {
	fs        *flag.FlagSet
	transport string // one name; matrix flags may hold a comma-separated list
	addr      string
	listen    string
	net       string
	cert, key string
	ca        string
	clientCA  string
	insecure  bool
	tls       bool
}

func addTransportFlags(fs *flag.FlagSet) *transportFlags {
	f := &transportFlags{fs: fs}
	fs.StringVar(&f.transport, "transport", "tcp", "how the two sides connect: "+strings.Join(transports.Names(), ", ")+
		"\n(pipe: in one process only; http: a CONNECT handshake as net/rpc's HandleHTTP; reverse: the serving side dials the calling side; tls: TLS 1.3)")
	fs.StringVar(&f.addr, "addr", "", "the serving side's address: where serve listens (default 127.0.0.1 on a free port),\nand what call and run dial; a socket path for unix, a name for pipe;\nfor reverse, what the serving side dials (the calling side's --listen)")
	fs.StringVar(&f.listen, "listen", "", "reverse only: where the calling side (call, run) listens for serving sides to dial in,\ne.g. 127.0.0.1:9000, while workers run: rpcbench serve --transport reverse --addr HOST:9000")
	if fs.Lookup("conns") == nil { // run and matrix define it for the callers; reverse follows that
		fs.Int("conns", 1, "reverse serving side: connections to keep dialled to the calling side")
	}
	fs.StringVar(&f.net, "net", "", "emulate a network on every connection, both sides alike: "+profileNames()+
		",\nor custom:latency=20ms,kbps=10000,mtu=1500 (latency one way, kbps of 1024 bits); rpcbench list shows the figures")
	fs.StringVar(&f.cert, "cert", "", "tls: PEM certificate file; serve's own (default: a self-signed one whose fingerprint is logged),\nor the client certificate call and run present")
	fs.StringVar(&f.key, "key", "", "tls: PEM private key file for --cert")
	fs.StringVar(&f.ca, "ca", "", "tls, calling side: PEM CA certificates to verify the server against (default: the system's roots)")
	fs.StringVar(&f.clientCA, "client-ca", "", "tls, serving side: require client certificates signed by these PEM CA certificates")
	fs.BoolVar(&f.tls, "tls", false, "reverse: TLS 1.3 on the link; the worker (serve) is the TLS client and verifies the calling side\nwith --ca (or --insecure) and shows --cert/--key; the calling side shows --cert/--key (default: self-signed)\nand, with --client-ca, requires and verifies the worker's certificate")
	fs.BoolVar(&f.insecure, "insecure", false, "tls, calling side: accept any server certificate, e.g. serve's self-signed one\n(the connection is still encrypted, but not authenticated)")
	return f
}

func profileNames() string {
	var names []string
	for _, p := range netem.Profiles() {
		names = append(names, p.Name)
	}
	return strings.Join(names, ", ")
}

// external reports whether the flags point at another process: a server
// to call, or (reverse) serving sides that will dial in.
func (f *transportFlags) external() bool { return f.addr != "" || f.listen != "" }

// config returns the chosen transport, wrapped in the --net profile, and
// its configuration for codec.
func (f *transportFlags) config(codec string) (transports.Transport, transports.Config, error) {
	t, err := transports.Lookup(f.transport)
	if err != nil {
		return nil, transports.Config{}, fmt.Errorf("--transport %q: %w", f.transport, err)
	}
	cfg := transports.Config{
		Addr:         f.addr,
		Codec:        codec,
		CertFile:     f.cert,
		KeyFile:      f.key,
		CAFile:       f.ca,
		ClientCAFile: f.clientCA,
		Insecure:     f.insecure,
		TLS:          f.tls,
	}
	if f.tls && !transports.IsReversed(t) {
		return nil, cfg, fmt.Errorf("--tls: only --transport reverse takes it; use --transport tls for TLS over TCP")
	}
	if f.listen != "" {
		if !transports.IsReversed(t) {
			return nil, cfg, fmt.Errorf("--listen %q: only --transport reverse listens on the calling side; %s serves on --addr", f.listen, t.Name())
		}
		if f.addr != "" {
			return nil, cfg, fmt.Errorf("--listen %q and --addr %q: the calling side of reverse listens (--listen), the serving side dials (--addr); give the one for this side", f.listen, f.addr)
		}
		cfg.Addr = f.listen
	}
	conns := f.fs.Lookup("conns").Value.String()
	if cfg.Conns, err = strconv.Atoi(conns); err != nil || cfg.Conns < 1 {
		return nil, cfg, fmt.Errorf("--conns %q: want a number of connections, at least 1", conns)
	}
	if (f.cert == "") != (f.key == "") {
		return nil, cfg, fmt.Errorf("--cert %q and --key %q: a certificate needs both", f.cert, f.key)
	}
	if f.insecure && f.ca != "" {
		return nil, cfg, errors.New("--insecure and --ca: --ca verifies the server, --insecure skips verifying it; give one")
	}
	if f.net != "" {
		p, err := netem.Parse(f.net)
		if err != nil {
			return nil, cfg, fmt.Errorf("--net: %w", err)
		}
		t = netem.Wrap(t, p)
	}
	return t, cfg, nil
}
