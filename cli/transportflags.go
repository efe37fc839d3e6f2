package cli

import (
	"flag"
	"strconv"
	"strings"

	"github.com/rpcbench/rpcbench/transports"
	_ "github.com/rpcbench/rpcbench/transports/all"
	"github.com/rpcbench/rpcbench/transports/duplex"
	"github.com/rpcbench/rpcbench/transports/netem"
)

// sides says which halves of a transport a command runs, so that it
// defines only the flags those halves use: serve has no --insecure, call
// no --client-ca.
type sides int

const (
	callingSide sides = 1 << iota // call, run: dials the server (or listens, reverse)
	servingSide                   // serve, and run's in-process server
)

// transportFlags are the flags that choose and configure a transport.
type transportFlags struct {
	fs        *flag.FlagSet
	transport string // one name; run and matrix may hold a comma-separated list
	addr      string
	listen    string
	net       string
	cert, key string
	ca        string
	clientCA  string
	insecure  bool
	pin       string
	tls       bool
	// duplex's bounds
	maxStreams, maxSessions int
}

func addTransportFlags(fs *flag.FlagSet, s sides) *transportFlags {
	f := &transportFlags{fs: fs}
	fs.StringVar(&f.transport, "transport", "tcp", "how the two sides connect: "+strings.Join(transports.Names(), ", ")+
		"\n(pipe: in one process only; http: a CONNECT handshake as net/rpc's HandleHTTP; reverse: the serving side dials the calling side; tls: TLS 1.3;\nquic: TLS 1.3 over QUIC, each connection a stream of one QUIC connection)")
	switch s {
	case servingSide:
		fs.StringVar(&f.addr, "addr", "", "where to listen (default 127.0.0.1 on a free port); a socket path for unix;\nfor reverse, the calling side's --listen address to dial")
		fs.Int("conns", 1, "reverse: connections to keep dialled to the calling side; run --listen waits for its --conns (1 on both unless given)")
	case callingSide:
		fs.StringVar(&f.addr, "addr", "", "the server's address: host:port, or a socket path for unix")
	default:
		fs.StringVar(&f.addr, "addr", "", "an external server to measure (host:port, or a socket path for unix) instead of one in this process")
	}
	if s&callingSide != 0 {
		fs.StringVar(&f.listen, "listen", "", "reverse and duplex: where to listen for serving sides (workers) to dial in, e.g. 127.0.0.1:9000,\nwhile they run: rpcbench serve --transport reverse (or duplex) --addr HOST:9000")
	}
	fs.IntVar(&f.maxStreams, "duplex-max-streams", duplex.DefaultMaxStreams, "duplex: the streams opened by the other side that one session serves at once;\n64 more wait, the rest are reset; each buffers at most 256 KiB")
	if s&callingSide != 0 {
		fs.IntVar(&f.maxSessions, "duplex-max-sessions", duplex.DefaultMaxSessions, "duplex: the workers a master (--listen) serves at once; more are disconnected")
	}
	fs.StringVar(&f.net, "net", "", "emulate a network on every connection, both sides alike: "+profileNames()+
		",\nor custom:latency=20ms,jitter=2ms,dist=normal,kbps=10000,mtu=1500,loss=1%,partition=30s:2s,seed=7, each optional\n(latency one way, kbps of 1024 bits, loss retransmitted as TCP does, partition EVERY:FOR); rpcbench list shows the figures")
	switch s {
	case servingSide:
		fs.StringVar(&f.cert, "cert", "", "tls, quic: PEM certificate file (default: a self-signed one whose SHA-256 fingerprint is logged, for call --pin);\nreverse --tls: the certificate the worker shows")
		fs.StringVar(&f.key, "key", "", "tls, quic: PEM private key file for --cert")
		fs.StringVar(&f.clientCA, "client-ca", "", "tls, quic: require client certificates signed by these PEM CA certificates")
		fs.StringVar(&f.ca, "ca", "", "reverse --tls: PEM CA certificates to verify the calling side against (default: the system's roots)")
		fs.BoolVar(&f.insecure, "insecure", false, "reverse --tls: accept any certificate from the calling side (still encrypted, not authenticated)")
	case callingSide:
		fs.StringVar(&f.cert, "cert", "", "tls, quic: PEM client certificate file to present; reverse --tls: the listener's (default: self-signed)")
		fs.StringVar(&f.key, "key", "", "tls, quic: PEM private key file for --cert")
		fs.StringVar(&f.ca, "ca", "", "tls, quic: PEM CA certificates to verify the server against (default: the system's roots)")
		fs.BoolVar(&f.insecure, "insecure", false, "tls, quic: accept any server certificate (still encrypted, not authenticated)")
		fs.StringVar(&f.pin, "pin", "", "tls, quic: accept exactly the server certificate with this SHA-256 fingerprint, as serve logs it")
		fs.StringVar(&f.clientCA, "client-ca", "", "reverse --tls: require the worker's certificate, signed by these PEM CA certificates")
	default:
		fs.StringVar(&f.cert, "cert", "", "tls, quic: PEM certificate file: the in-process server's, or the client's against --addr")
		fs.StringVar(&f.key, "key", "", "tls, quic: PEM private key file for --cert")
		fs.StringVar(&f.ca, "ca", "", "tls, quic: PEM CA certificates to verify the server against (default: the system's roots)")
		fs.StringVar(&f.clientCA, "client-ca", "", "tls, quic: require client certificates signed by these PEM CA certificates")
		fs.BoolVar(&f.insecure, "insecure", false, "tls, quic: accept any server certificate (still encrypted, not authenticated)")
		fs.StringVar(&f.pin, "pin", "", "tls, quic: accept exactly the server certificate with this SHA-256 fingerprint, as serve logs it")
	}
	fs.BoolVar(&f.tls, "tls", false, "reverse: TLS 1.3 on the link; the worker (serve) is the TLS client and verifies the calling side\nwith --ca (or --insecure) and shows --cert/--key; the calling side shows --cert/--key (default: self-signed)\nand, with --client-ca, requires and verifies the worker's certificate")
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
// its configuration for codec. Its errors are usage errors.
func (f *transportFlags) config(codec string) (transports.Transport, transports.Config, error) {
	t, err := transports.Lookup(f.transport)
	if err != nil {
		return nil, transports.Config{}, usagef("--transport %q: %v", f.transport, err)
	}
	cfg := transports.Config{
		Addr:         f.addr,
		Codec:        codec,
		CertFile:     f.cert,
		KeyFile:      f.key,
		CAFile:       f.ca,
		ClientCAFile: f.clientCA,
		Insecure:     f.insecure,
		Pin:          f.pin,
		TLS:          f.tls,
		MaxStreams:   f.maxStreams,
		MaxSessions:  f.maxSessions,
	}
	if f.maxStreams < 1 || f.maxSessions < 0 || (f.maxSessions == 0 && f.fs.Lookup("duplex-max-sessions") != nil) {
		return nil, cfg, usagef("--duplex-max-streams %d, --duplex-max-sessions %d: want at least 1", f.maxStreams, f.maxSessions)
	}
	if f.tls && !transports.IsReversed(t) {
		return nil, cfg, usagef("--tls: only --transport reverse takes it; use --transport tls for TLS over TCP")
	}
	if f.listen != "" {
		if !transports.IsReversed(t) {
			return nil, cfg, usagef("--listen %q: only --transport reverse or duplex listens on the calling side; %s serves on --addr", f.listen, t.Name())
		}
		if f.addr != "" {
			return nil, cfg, usagef("--listen %q and --addr %q: the calling side of reverse listens (--listen), the serving side dials (--addr); give the one for this side", f.listen, f.addr)
		}
		cfg.Addr = f.listen
	}
	cfg.Conns = 1
	if c := f.fs.Lookup("conns"); c != nil {
		if cfg.Conns, err = strconv.Atoi(c.Value.String()); err != nil || cfg.Conns < 1 {
			return nil, cfg, usagef("--conns %q: want a number of connections, at least 1", c.Value)
		}
	}
	if (f.cert == "") != (f.key == "") {
		return nil, cfg, usagef("--cert %q and --key %q: a certificate needs both", f.cert, f.key)
	}
	if hex := strings.ToLower(strings.NewReplacer(":", "", " ", "").Replace(f.pin)); f.pin != "" && (len(hex) != 64 || strings.Trim(hex, "0123456789abcdef") != "") {
		return nil, cfg, usagef("--pin %q: want a SHA-256 fingerprint, 32 hex pairs as serve logs it (45:85:9B:…)", f.pin)
	}
	if n := btoi(f.insecure) + btoi(f.ca != "") + btoi(f.pin != ""); n > 1 {
		return nil, cfg, usagef("--insecure, --ca and --pin: each decides how to trust the server; give one")
	}
	if f.net != "" {
		p, err := netem.Parse(f.net)
		if err != nil {
			return nil, cfg, usagef("--net: %v", err)
		}
		f.net = p.Name // what results record: a custom profile's every figure, and the seed chosen for it
		t = netem.Wrap(t, p)
	}
	return t, cfg, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
