package netem

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/benchmark/latency"
)

// epoch is a multiple of every partition period the tests use.
var epoch = time.Unix(1_000_000_000, 0)

func at(d time.Duration) time.Time { return epoch.Add(d) }

func TestTheTimeoutFollowsLinux(t *testing.T) {
	l := newLink(Profile{}, 0)
	steps := []struct {
		sample time.Duration // 0: none, look at the timeout before any
		rto    time.Duration
	}{
		{0, time.Second}, // no sample yet: the initial 1s
		{100 * time.Millisecond, 300 * time.Millisecond}, // srtt 100, rttvar 50: 100 + max(200, 200)
		{100 * time.Millisecond, 300 * time.Millisecond}, // rttvar 37.5: 4·37.5 under the 200 floor
		{20 * time.Millisecond, 290 * time.Millisecond},  // srtt 90, rttvar (3·37.5+80)/4 = 48.125: 90 + 192.5 floored to 200
		{time.Second, 1258125 * time.Microsecond},        // srtt (7·90+1000)/8 = 203.75, rttvar (3·48.125+910)/4 = 263.59375: 203.75 + 1054.375
	}
	for i, s := range steps {
		if s.sample > 0 {
			l.sample(s.sample)
		}
		if got := l.rto(); got != s.rto {
			t.Errorf("step %d (sample %v): RTO %v, want %v", i, s.sample, got, s.rto)
		}
	}
}

// A packet sent into a partition is retransmitted at each timeout, the
// timeout doubling, until one leaves after the link is back.
func TestAPartitionCostsTheBackedOffTimeouts(t *testing.T) {
	p := Profile{Network: latency.Network{Latency: 10 * time.Millisecond}, PartitionEvery: 10 * time.Second, PartitionFor: time.Second}
	t.Run("before any RTT sample", func(t *testing.T) {
		l := newLink(p, 0)
		// 9.5s is down; the retransmission 1s later, at 10.5s, is up.
		if got, ok := l.arrival(at(9500 * time.Millisecond)); !ok || got != at(10510*time.Millisecond) {
			t.Errorf("arrival %v, %v; want 10.51s", got.Sub(epoch), ok)
		}
	})
	t.Run("after a sample", func(t *testing.T) {
		l := newLink(p, 0)
		sends := []time.Duration{100 * time.Millisecond, 9200 * time.Millisecond, 10800 * time.Millisecond}
		// 0.1s arrives at once (sample 20ms: RTO 220ms); 9.2s is down,
		// and so are its retransmissions at 9.42s and 9.86s (RTO 440ms),
		// and the one at 10.74s (RTO 880ms) gets through.
		want := []time.Duration{110 * time.Millisecond, 10750 * time.Millisecond, 10810 * time.Millisecond}
		for i, sent := range sends {
			if got, ok := l.arrival(at(sent)); !ok || got != at(want[i]) {
				t.Errorf("packet sent at %v: arrival %v, %v; want %v", sent, got.Sub(epoch), ok, want[i])
			}
		}
	})
}

func TestThePartitionScheduleIsTheClocks(t *testing.T) {
	p := Profile{PartitionEvery: 10 * time.Second, PartitionFor: time.Second}
	for _, c := range []struct {
		t    time.Duration
		down bool
	}{{0, false}, {8999 * time.Millisecond, false}, {9 * time.Second, true}, {9999 * time.Millisecond, true}, {10 * time.Second, false}, {19 * time.Second, true}} {
		if got := p.Down(at(c.t)); got != c.down {
			t.Errorf("Down(%v) = %v, want %v", c.t, got, c.down)
		}
	}
	got := p.PartitionEnds(at(10*time.Second), at(40*time.Second))
	want := []time.Time{at(20 * time.Second), at(30 * time.Second), at(40 * time.Second)}
	if !slices.Equal(got, want) {
		t.Errorf("PartitionEnds(10s, 40s] = %v, want %v", got, want)
	}
	if got := (Profile{}).PartitionEnds(at(0), at(time.Hour)); got != nil {
		t.Errorf("no partitions: PartitionEnds = %v, want none", got)
	}
}

// The loss model is a pure function of the seed: these are its delays for
// seed 1, stream 1, each checked by the rules: 10ms one way; the first
// packet is lost once before any RTT sample (1s); once sampled (20ms
// round trips: srtt 20ms, rttvar at most 10ms), a loss costs 220ms, and
// each repeat doubles it: 220+440+880+1760 for the eighth, lost four
// times, 220+440+880 for the fourteenth, lost three.
func TestLossIsAPureFunctionOfTheSeed(t *testing.T) {
	p := Profile{Network: latency.Network{Latency: 10 * time.Millisecond}, Loss: 50, Seed: 1}
	delays := func(stream uint64) []time.Duration {
		l := newLink(p, stream)
		var out []time.Duration
		for i := range 16 {
			sent := at(time.Duration(i) * 10 * time.Second) // far apart: no partition, no overlap
			got, ok := l.arrival(sent)
			if !ok {
				t.Fatalf("packet %d: every retransmission lost", i)
			}
			out = append(out, got.Sub(sent))
		}
		return out
	}
	ms := time.Millisecond
	want := []time.Duration{1010 * ms, 10 * ms, 10 * ms, 230 * ms, 10 * ms, 10 * ms, 10 * ms, 3310 * ms,
		10 * ms, 10 * ms, 10 * ms, 230 * ms, 230 * ms, 1550 * ms, 10 * ms, 230 * ms}
	got := delays(1)
	if !slices.Equal(got, want) {
		t.Errorf("delays %v, want %v", got, want)
	}
	if again := delays(1); !slices.Equal(got, again) {
		t.Errorf("same seed and stream drew %v, then %v", got, again)
	}
	if other := delays(2); slices.Equal(got, other) {
		t.Errorf("streams 1 and 2 drew the same delays %v", got)
	}
}

// Each distribution has mean 0 and standard deviation 1, so that a
// profile's Jitter is the delay's standard deviation.
func TestJitterHasTheProfilesMoments(t *testing.T) {
	for _, d := range dists {
		t.Run(string(d), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			const n = 400_000
			var sum, sumSq float64
			for range n {
				x := d.sample(rng)
				sum += x
				sumSq += x * x
			}
			mean := sum / n
			sd := math.Sqrt(sumSq/n - mean*mean)
			if math.Abs(mean) > 0.01 || math.Abs(sd-1) > 0.03 {
				t.Errorf("mean %.4f, standard deviation %.4f over %d draws; want 0 and 1", mean, sd, n)
			}
		})
	}
	t.Run("one-way delays", func(t *testing.T) {
		l := newLink(Profile{Network: latency.Network{Latency: 100 * time.Millisecond}, Jitter: 10 * time.Millisecond, Seed: 3}, 0)
		const n = 100_000
		var sum, sumSq float64
		for range n {
			x := float64(l.oneWay())
			sum += x
			sumSq += x * x
		}
		mean := sum / n
		sd := math.Sqrt(sumSq/n - mean*mean)
		if math.Abs(mean-100e6) > 0.1e6 || math.Abs(sd-10e6) > 0.2e6 {
			t.Errorf("one-way delay: mean %.3fms, standard deviation %.3fms; want 100ms and 10ms", mean/1e6, sd/1e6)
		}
	})
}
