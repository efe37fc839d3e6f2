// Package netem wraps any transport's connections, both directions, with
// emulated latency, bandwidth and MTU, using grpc-go's benchmark/latency
// package, and names the network profiles rpcbench offers (--net).
package netem

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/benchmark/latency"

	"github.com/rpcbench/rpcbench/transports"
)

// A Profile is a named emulated network.
//
// Network's figures are grpc-go's: Latency is one way (a round trip costs
// twice it), Kbps counts kilobits of 1024 bits, MTU is the largest packet
// in bytes; zero means no limit for each. The wrapper delays what an end
// sends and adds no bytes, so a wrapped end talks to a plain one, and only
// the wrapped end's direction is delayed.
type Profile struct {
	Name string
	latency.Network
}

// profiles are grpc-go's own figures, so results compare with its
// benchmarks.
var profiles = []Profile{
	{"local", latency.Local},
	{"lan", latency.LAN},
	{"wan", latency.WAN},
	{"longhaul", latency.Longhaul},
}

// Profiles lists the named profiles, for `rpcbench list`.
func Profiles() []Profile { return append([]Profile(nil), profiles...) }

// String describes p's figures in one line.
func (p Profile) String() string {
	if p.Network == latency.Local {
		return p.Name + ": no emulation"
	}
	return fmt.Sprintf("%s: latency %v one way, %s, %s", p.Name, p.Latency,
		limit(p.Kbps, "bandwidth %d kbit/s", "unlimited bandwidth"),
		limit(p.MTU, "MTU %d bytes", "no MTU"))
}

func limit(n int, format, none string) string {
	if n <= 0 {
		return none
	}
	return fmt.Sprintf(format, n)
}

// customPrefix introduces a profile given by its figures.
const customPrefix = "custom:"

// Parse returns the profile called s: a name from Profiles, or
// "custom:latency=20ms,kbps=10000,mtu=1500" where each figure is optional
// and a missing one means no limit.
func Parse(s string) (Profile, error) {
	for _, p := range profiles {
		if p.Name == s {
			return p, nil
		}
	}
	spec, ok := strings.CutPrefix(s, customPrefix)
	if !ok {
		names := make([]string, len(profiles))
		for i, p := range profiles {
			names[i] = p.Name
		}
		return Profile{}, fmt.Errorf("netem: unknown network profile %q (have %s, or custom:latency=20ms,kbps=10000,mtu=1500)", s, strings.Join(names, ", "))
	}
	var n latency.Network
	seen := make(map[string]bool)
	for item := range strings.SplitSeq(spec, ",") {
		if item == "" && spec == "" {
			break
		}
		key, value, ok := strings.Cut(item, "=")
		if !ok {
			return Profile{}, fmt.Errorf("netem: profile %q: %q is not key=value", s, item)
		}
		if seen[key] {
			return Profile{}, fmt.Errorf("netem: profile %q: %s given twice", s, key)
		}
		seen[key] = true
		var err error
		switch key {
		case "latency":
			n.Latency, err = time.ParseDuration(value)
			if err == nil && n.Latency < 0 {
				err = fmt.Errorf("negative")
			}
		case "kbps":
			n.Kbps, err = nonNegative(value)
		case "mtu":
			n.MTU, err = nonNegative(value)
		default:
			return Profile{}, fmt.Errorf("netem: profile %q: unknown figure %q (have latency, kbps, mtu)", s, key)
		}
		if err != nil {
			return Profile{}, fmt.Errorf("netem: profile %q: bad %s %q: %v", s, key, value, err)
		}
	}
	return Profile{Name: s, Network: n}, nil
}

func nonNegative(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err == nil && n < 0 {
		return 0, fmt.Errorf("negative")
	}
	return n, err
}

// Wrap returns tr with every connection of both halves passed through p:
// what each end sends is delayed, paced and cut into packets (see conn),
// so a round trip costs twice the latency. The wrapped connections have no
// CloseWrite. The local profile returns tr itself.
func Wrap(tr transports.Transport, p Profile) transports.Transport {
	if p.Network == latency.Local {
		return tr
	}
	return &transport{inner: tr, profile: p}
}

type transport struct {
	inner   transports.Transport
	profile Profile
}

func (t *transport) Name() string   { return t.inner.Name() }
func (t *transport) Reversed() bool { return transports.IsReversed(t.inner) }

func (t *transport) Serve(ctx context.Context, cfg transports.Config) (net.Listener, error) {
	l, err := t.inner.Serve(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &listener{Listener: l, network: t.profile.Network}, nil
}

func (t *transport) Call(ctx context.Context, cfg transports.Config) (transports.Caller, error) {
	c, err := t.inner.Call(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &caller{Caller: c, network: t.profile.Network}, nil
}

type listener struct {
	net.Listener
	network latency.Network
}

func (l *listener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return newConn(conn, l.network), nil
}

type caller struct {
	transports.Caller
	network latency.Network
}

func (c *caller) Conn(ctx context.Context) (net.Conn, error) {
	conn, err := c.Caller.Conn(ctx)
	if err != nil {
		return nil, err
	}
	return newConn(conn, c.network), nil
}
