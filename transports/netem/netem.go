// Package netem wraps any transport's connections, both directions, with
// an emulated network, and names the network profiles rpcbench offers
// (--net). This kernel has no sch_netem, so all of it happens in user
// space, on the sending side of each end: latency, jitter, bandwidth, MTU,
// loss and partitions, with grpc-go's benchmark/latency figures for the
// first profiles.
//
// The model, for the stream transports it wraps, is what a TCP connection
// experiences on such a network; its randomness comes from one seed, so a
// run repeats:
//
//   - What an end writes is cut into packets of MTU bytes (1500 when there
//     is no MTU but there is loss, so that loss strikes segments, not
//     whole writes), which leave at the bandwidth's pace.
//   - Each packet travels Latency plus a jitter draw (Dist, standard
//     deviation Jitter, never below zero). A stream delivers in order, so
//     a packet drawn faster than the one before it waits for it: jitter
//     shows as bunching, never as reordering.
//   - A packet is lost with probability Loss, or when it leaves while the
//     link is partitioned. TCP then retransmits it after its retransmission
//     timeout (RTO), as Linux computes it: 1s before the connection's first
//     RTT sample, then srtt + max(4·rttvar, 200ms) with srtt and rttvar per
//     RFC 6298 (samples from packets that arrived at the first try, a round
//     trip taken as twice the one-way trip), doubling at each further loss
//     of the same packet (exponential backoff, at most 120s). After 15 lost
//     retransmissions (tcp_retries2) the connection fails, as Linux's
//     does. Everything written after a lost packet waits behind it (head-of-
//     line blocking), and the send buffer (256 KiB) fills meanwhile, so
//     that writes block as a socket's do.
//   - A partition (EVERY:FOR) silences the link for FOR before each multiple
//     of EVERY on the clock (Profile.Down): nothing written arrives until
//     a retransmission leaves after it, reads on the far end see nothing,
//     and calls time out or survive by the stack's own deadlines.
//     Profile.PartitionEnds says when the link came back.
//
// Simplifications, said here so that nobody reads more into the figures:
// the state is updated when a packet is sent, not when its
// acknowledgement would come back; there is no congestion window (a loss
// costs its timeout, not a slower rate after it), no fast retransmit
// (three duplicate ACKs would resend sooner than the RTO when enough data
// follows the lost packet: this model is the worst case, that of
// request/response traffic with little in flight), and no SACK.
//
// Waits that are measured, a packet's delivery and the pacing behind it,
// go through internal/precise (DESIGN 11); deadlines use Go's timers.
package netem

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
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
// the wrapped end's direction is delayed. The other fields are zero when
// the network has none of what they describe.
type Profile struct {
	Name string
	latency.Network
	// Jitter is the standard deviation of each packet's one-way delay
	// around Latency, of the shape Dist ("" means Normal).
	Jitter time.Duration
	Dist   Dist
	// Loss is the percentage of packets lost, each independently; TCP
	// retransmits them (see the package doc). Less than 100.
	Loss float64
	// The link goes silent for PartitionFor before every multiple of
	// PartitionEvery (see Down); PartitionFor is less than PartitionEvery.
	PartitionEvery, PartitionFor time.Duration
	// Seed seeds every random draw (jitter, loss), so that a run repeats:
	// each connection draws from its own stream of it, numbered in the
	// order the connections are made.
	Seed uint64
}

// processSeed is the seed of a custom profile that names none: one per
// process, so that every configuration a run parses the profile for
// draws from the same seed and carries the same name.
var processSeed = rand.Uint64()

// namedSeed is the seed of the named profiles: a name is one network,
// draws included.
const namedSeed = 1

// profiles are grpc-go's own figures, so results compare with its
// benchmarks, and three networks that misbehave, whose figures are
// typical of published measurements (each says which):
var profiles = []Profile{
	{Name: "local", Network: latency.Local},
	{Name: "lan", Network: latency.LAN},
	{Name: "wan", Network: latency.WAN},
	{Name: "longhaul", Network: latency.Longhaul},
	// lossy-wan is a path across a continent or an ocean on the public
	// Internet: round trips of 60 to 150 ms are the usual range between
	// continents in ping surveys (SLAC's PingER, RIPE Atlas), with a few
	// milliseconds of spread from queues along the way, and measurement
	// projects (PingER, M-Lab's NDT) find loss mostly well under 1% on
	// good paths and around 1% on congested or distant ones: 80 ms round
	// trip, 5 ms of normal jitter each way, 1% loss.
	{Name: "lossy-wan", Network: latency.Network{Kbps: 20 * 1024, Latency: 40 * time.Millisecond, MTU: 1500},
		Jitter: 5 * time.Millisecond, Dist: Normal, Loss: 1, Seed: namedSeed},
	// mobile is a 4G/LTE phone: crowd-sourced speed tests (Ookla,
	// Opensignal) put LTE round trips at roughly 40 to 70 ms when idle and
	// far more under load, downlinks of some 10 to 30 Mbit/s, and a
	// delay with a long tail (radio scheduling, link-layer retries); the
	// radio's own retransmission hides most loss, leaving around 1% to
	// TCP: 60 ms round trip, 15 ms of paretonormal jitter, 1% loss,
	// 10 Mbit/s, the 1400-byte MTU carriers' tunnels often leave.
	{Name: "mobile", Network: latency.Network{Kbps: 10 * 1024, Latency: 30 * time.Millisecond, MTU: 1400},
		Jitter: 15 * time.Millisecond, Dist: ParetoNormal, Loss: 1, Seed: namedSeed},
	// flaky-lan is a LAN link that drops out: lan's figures, a little
	// loss (a busy Wi-Fi or a bad cable), and a one-second outage every
	// ten seconds, as a Wi-Fi roam or a switch's rapid spanning-tree
	// reconvergence (about a second, where classic STP takes 30 to 50)
	// silences a link.
	{Name: "flaky-lan", Network: latency.LAN, Jitter: 200 * time.Microsecond, Dist: Normal, Loss: 0.1,
		PartitionEvery: 10 * time.Second, PartitionFor: time.Second, Seed: namedSeed},
}

// Profiles lists the named profiles, for `rpcbench list`.
func Profiles() []Profile { return append([]Profile(nil), profiles...) }

// String describes p's figures in one line: every figure that is not
// zero, so that two profiles that differ never read alike.
func (p Profile) String() string {
	if !p.emulates() {
		return p.Name + ": no emulation"
	}
	s := fmt.Sprintf("%s: latency %v one way", p.Name, p.Latency)
	if p.Jitter > 0 {
		s += fmt.Sprintf(", jitter %v %s", p.Jitter, p.dist())
	}
	if p.Loss > 0 {
		s += fmt.Sprintf(", loss %s", percent(p.Loss))
	}
	if p.PartitionEvery > 0 {
		s += fmt.Sprintf(", partitioned %v every %v", p.PartitionFor, p.PartitionEvery)
	}
	s += fmt.Sprintf(", %s, %s", limit(p.Kbps, "bandwidth %d kbit/s", "unlimited bandwidth"),
		limit(p.MTU, "MTU %d bytes", "no MTU"))
	if p.random() {
		s += fmt.Sprintf(", seed %d", p.Seed)
	}
	return s
}

func limit(n int, format, none string) string {
	if n <= 0 {
		return none
	}
	return fmt.Sprintf(format, n)
}

func percent(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) + "%" }

// emulates reports whether p changes anything.
func (p Profile) emulates() bool {
	return p.Network != latency.Local || p.Jitter > 0 || p.Loss > 0 || p.PartitionEvery > 0
}

// random reports whether p draws random numbers, and so has a seed.
func (p Profile) random() bool { return p.Jitter > 0 || p.Loss > 0 }

func (p Profile) dist() Dist {
	if p.Dist == "" {
		return Normal
	}
	return p.Dist
}

// customPrefix introduces a profile given by its figures.
const customPrefix = "custom:"

// customExample is the syntax, for errors and help.
const customExample = "custom:latency=20ms,jitter=2ms,dist=normal,kbps=10000,mtu=1500,loss=1%,partition=30s:2s,seed=7"

// Parse returns the profile called s: a name from Profiles, or
// custom:key=value,... with the keys of customExample, each optional
// (missing means none). A custom profile that draws random numbers and
// has no seed= gets this process's (processSeed), and its Name, like every custom Name, is
// rewritten in one canonical form carrying every figure and the seed, so
// that results name what ran and a run repeats from its name.
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
		return Profile{}, fmt.Errorf("netem: unknown network profile %q (have %s, or %s)", s, strings.Join(names, ", "), customExample)
	}
	var p Profile
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
		if err := p.set(key, value); err != nil {
			return Profile{}, fmt.Errorf("netem: profile %q: %w", s, err)
		}
	}
	if p.random() && !seen["seed"] {
		p.Seed = processSeed
	}
	p.Name = p.canonical()
	return p, nil
}

// set parses one figure of a custom profile.
func (p *Profile) set(key, value string) error {
	var err error
	switch key {
	case "latency":
		p.Latency, err = duration(value)
	case "jitter":
		p.Jitter, err = duration(value)
	case "dist":
		p.Dist = Dist(value)
		if !slices.Contains(dists, p.Dist) {
			err = fmt.Errorf("want one of %v", dists)
		}
	case "kbps":
		p.Kbps, err = nonNegative(value)
	case "mtu":
		p.MTU, err = nonNegative(value)
	case "loss":
		p.Loss, err = lossPercent(value)
	case "partition":
		p.PartitionEvery, p.PartitionFor, err = partition(value)
	case "seed":
		p.Seed, err = strconv.ParseUint(value, 10, 64)
	default:
		return fmt.Errorf("unknown figure %q (have latency, jitter, dist, kbps, mtu, loss, partition, seed)", key)
	}
	if err != nil {
		return fmt.Errorf("bad %s %q: %v", key, value, err)
	}
	return nil
}

// canonical is p's custom name: every figure that is not zero, in one
// order, and the seed when p draws random numbers.
func (p Profile) canonical() string {
	var items []string
	add := func(key string, set bool, value any) {
		if set {
			items = append(items, fmt.Sprintf("%s=%v", key, value))
		}
	}
	add("latency", p.Latency > 0, p.Latency)
	add("jitter", p.Jitter > 0, p.Jitter)
	add("dist", p.Jitter > 0, p.dist())
	add("kbps", p.Kbps > 0, p.Kbps)
	add("mtu", p.MTU > 0, p.MTU)
	add("loss", p.Loss > 0, percent(p.Loss))
	add("partition", p.PartitionEvery > 0, fmt.Sprintf("%v:%v", p.PartitionEvery, p.PartitionFor))
	add("seed", p.random(), p.Seed)
	return customPrefix + strings.Join(items, ",")
}

func duration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err == nil && d < 0 {
		err = errors.New("negative")
	}
	return d, err
}

func nonNegative(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err == nil && n < 0 {
		return 0, errors.New("negative")
	}
	return n, err
}

// lossPercent parses a percentage such as 1% or 0.5%.
func lossPercent(s string) (float64, error) {
	num, ok := strings.CutSuffix(s, "%")
	if !ok {
		return 0, errors.New("want a percentage such as 1%")
	}
	f, err := strconv.ParseFloat(num, 64)
	switch {
	case err != nil:
		return 0, err
	case f < 0 || f >= 100 || math.IsNaN(f):
		return 0, errors.New("want at least 0% and under 100%")
	}
	return f, nil
}

// partition parses EVERY:FOR, such as 30s:2s.
func partition(s string) (every, length time.Duration, err error) {
	e, l, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, errors.New("want EVERY:FOR, such as 30s:2s")
	}
	if every, err = duration(e); err != nil {
		return 0, 0, err
	}
	if length, err = duration(l); err != nil {
		return 0, 0, err
	}
	if length <= 0 || length >= every {
		return 0, 0, fmt.Errorf("the outage %v must be longer than 0 and shorter than the period %v", length, every)
	}
	return every, length, nil
}

// Wrap returns tr with every connection of both halves passed through p:
// what each end sends is delayed, paced, cut into packets, and lost and
// retransmitted (see conn), so a round trip costs twice the latency. The
// wrapped connections have no CloseWrite. A profile that emulates nothing
// (local) returns tr itself.
func Wrap(tr transports.Transport, p Profile) transports.Transport {
	if !p.emulates() {
		return tr
	}
	return &transport{inner: tr, profile: p}
}

type transport struct {
	inner   transports.Transport
	profile Profile
	streams atomic.Uint64 // connections made so far, each its own random stream
}

func (t *transport) Name() string   { return t.inner.Name() }
func (t *transport) Reversed() bool { return transports.IsReversed(t.inner) }

// wrap wraps one connection in its own random stream.
func (t *transport) wrap(c net.Conn) net.Conn {
	return newConn(c, t.profile, t.streams.Add(1))
}

func (t *transport) Serve(ctx context.Context, cfg transports.Config) (net.Listener, error) {
	l, err := t.inner.Serve(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &listener{Listener: l, t: t}, nil
}

func (t *transport) Call(ctx context.Context, cfg transports.Config) (transports.Caller, error) {
	c, err := t.inner.Call(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &caller{Caller: c, t: t}, nil
}

type listener struct {
	net.Listener
	t *transport
}

// StopAccepting passes a graceful shutdown to the listener beneath, so
// that the connections it yielded stay open (transports.Drainer).
func (l *listener) StopAccepting() error { return transports.StopAccepting(l.Listener) }

// Unwrap is the listener beneath, for those that look for it (tls.Fingerprint).
func (l *listener) Unwrap() net.Listener { return l.Listener }

func (l *listener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return l.t.wrap(conn), nil
}

type caller struct {
	transports.Caller
	t *transport
}

func (c *caller) Conn(ctx context.Context) (net.Conn, error) {
	conn, err := c.Caller.Conn(ctx)
	if err != nil {
		return nil, err
	}
	return c.t.wrap(conn), nil
}
