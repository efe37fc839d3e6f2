package netem

import (
	"math"
	"math/rand/v2"
	"time"
)

// A Dist is the shape of the jitter around the latency, as classic
// Linux netem offers them. Each is scaled to mean 0 and standard
// deviation 1, so that Jitter is the standard deviation of the delay.
type Dist string

const (
	// Normal is Gaussian jitter.
	Normal Dist = "normal"
	// Pareto is jitter with a heavy right tail (shape paretoShape): most
	// packets a little early, a few very late.
	Pareto Dist = "pareto"
	// ParetoNormal mixes them, a quarter Pareto and three quarters
	// normal, as netem's paretonormal table does: a normal body with a
	// heavier tail.
	ParetoNormal Dist = "paretonormal"
)

var dists = []Dist{Normal, Pareto, ParetoNormal}

// paretoShape is the Pareto distribution's shape α: 3 is the smallest
// whole α with a finite variance, so that Jitter can be its standard
// deviation.
const paretoShape = 3

// sample draws one value of d from rng, with mean 0 and standard
// deviation 1.
func (d Dist) sample(rng *rand.Rand) float64 {
	switch d {
	case Pareto:
		return pareto(rng)
	case ParetoNormal:
		// Independent parts: the variance of a·X + b·Y is a² + b².
		return (0.25*pareto(rng) + 0.75*rng.NormFloat64()) / math.Sqrt(0.25*0.25+0.75*0.75)
	default:
		return rng.NormFloat64()
	}
}

// pareto draws from a Pareto distribution of shape paretoShape and
// scale 1 (by inverting its distribution function), standardised: its
// mean is α/(α-1) and its variance α/((α-1)²(α-2)).
func pareto(rng *rand.Rand) float64 {
	const a = paretoShape
	x := math.Pow(1-rng.Float64(), -1.0/a) // 1-U is in (0, 1]: no division by zero
	mean := a / (a - 1.0)
	sd := math.Sqrt(a / ((a - 1.0) * (a - 1.0) * (a - 2.0)))
	return (x - mean) / sd
}

// The retransmission timer of Linux's TCP (include/net/tcp.h), which the
// loss model follows.
const (
	rtoInitial = time.Second            // before the first RTT sample (RFC 6298 2.1)
	rtoMin     = 200 * time.Millisecond // TCP_RTO_MIN
	rtoMax     = 120 * time.Second      // TCP_RTO_MAX: backoff stops doubling here
	maxRetries = 15                     // tcp_retries2: then the connection times out
)

// link is one direction of one connection as a pure function of a seeded
// random source and the time each packet leaves: when it arrives, after
// the latency, a jitter draw and, when it is lost (at random, or sent
// into a partition), the retransmission timeouts TCP would wait. Its
// state is TCP's RTT estimate, per RFC 6298, from the packets that arrived
// at the first try (Karn's rule: none from retransmissions).
type link struct {
	p   Profile
	rng *rand.Rand

	sampled      bool          // an RTT sample has been taken
	srtt, rttvar time.Duration // RFC 6298's estimates, once sampled
}

func newLink(p Profile, stream uint64) *link {
	return &link{p: p, rng: rand.New(rand.NewPCG(p.Seed, stream))}
}

// rto is the retransmission timeout as Linux computes it: srtt plus four
// times rttvar, that variance term at least TCP_RTO_MIN, and 1s before any
// sample.
func (l *link) rto() time.Duration {
	if !l.sampled {
		return rtoInitial
	}
	return min(l.srtt+max(4*l.rttvar, rtoMin), rtoMax)
}

// sample folds one round trip r into the estimates (RFC 6298 2.2, 2.3).
func (l *link) sample(r time.Duration) {
	if !l.sampled {
		l.sampled, l.srtt, l.rttvar = true, r, r/2
		return
	}
	diff := l.srtt - r
	if diff < 0 {
		diff = -diff
	}
	l.rttvar = (3*l.rttvar + diff) / 4
	l.srtt = (7*l.srtt + r) / 8
}

// oneWay is one packet's trip: the latency plus a jitter draw, never
// negative.
func (l *link) oneWay() time.Duration {
	d := l.p.Latency
	if l.p.Jitter > 0 {
		d += time.Duration(l.p.dist().sample(l.rng) * float64(l.p.Jitter))
	}
	return max(d, 0)
}

// lost says whether a transmission at t is lost: sent into a partition,
// or dropped at random.
func (l *link) lost(t time.Time) bool {
	if l.p.Down(t) {
		return true
	}
	return l.p.Loss > 0 && l.rng.Float64()*100 < l.p.Loss
}

// arrival returns when a packet that left at sent arrives: at the first
// transmission that is not lost, each retransmission one timeout after
// the one before, the timeout doubling each time (exponential backoff).
// ok is false when maxRetries retransmissions were all lost: Linux then
// gives the connection up.
func (l *link) arrival(sent time.Time) (at time.Time, ok bool) {
	rto := l.rto()
	for try := 0; try <= maxRetries; try++ {
		oneWay := l.oneWay()
		if !l.lost(sent) {
			if try == 0 {
				l.sample(2 * oneWay) // the way back is taken to be like the way there
			}
			return sent.Add(oneWay), true
		}
		sent = sent.Add(rto)
		rto = min(2*rto, rtoMax)
	}
	return sent, false
}

// Down reports whether p's link is partitioned at t: for PartitionFor
// before each multiple of PartitionEvery since the Unix epoch. The
// schedule depends on the clock alone, so every connection, and both ends
// of one in different processes, agree on it.
func (p Profile) Down(t time.Time) bool {
	if p.PartitionEvery <= 0 || p.PartitionFor <= 0 {
		return false
	}
	into := time.Duration(t.UnixNano() % int64(p.PartitionEvery))
	return into >= p.PartitionEvery-p.PartitionFor
}

// PartitionEnds returns the instants in (since, until] at which p's link
// comes back from a partition, in order: what a recovery measurement
// times from. Data sent into the partition is retransmitted after TCP's
// backed-off timeout, so calls resume some time after each.
func (p Profile) PartitionEnds(since, until time.Time) []time.Time {
	if p.PartitionEvery <= 0 || p.PartitionFor <= 0 {
		return nil
	}
	every := int64(p.PartitionEvery)
	var ends []time.Time
	for n := since.UnixNano()/every + 1; n*every <= until.UnixNano(); n++ {
		ends = append(ends, time.Unix(0, n*every))
	}
	return ends
}
