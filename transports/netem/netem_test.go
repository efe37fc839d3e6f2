package netem_test

import (
	"context"
	"io"
	"net"
	"net/rpc"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc/benchmark/latency"

	"github.com/rpcbench/rpcbench/service"
	"github.com/rpcbench/rpcbench/transports"
	"github.com/rpcbench/rpcbench/transports/netem"
	"github.com/rpcbench/rpcbench/transports/tcp"
	"github.com/rpcbench/rpcbench/transports/transporttest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    netem.Profile
		wantErr string
	}{
		{in: "local", want: netem.Profile{Name: "local", Network: latency.Local}},
		{in: "lan", want: netem.Profile{Name: "lan", Network: latency.LAN}},
		{in: "wan", want: netem.Profile{Name: "wan", Network: latency.WAN}},
		{in: "longhaul", want: netem.Profile{Name: "longhaul", Network: latency.Longhaul}},
		{in: "custom:latency=20ms,kbps=10000,mtu=1500", want: netem.Profile{Name: "custom:latency=20ms,kbps=10000,mtu=1500",
			Network: latency.Network{Kbps: 10000, Latency: 20 * time.Millisecond, MTU: 1500}}},
		{in: "custom:latency=5ms", want: netem.Profile{Name: "custom:latency=5ms", Network: latency.Network{Latency: 5 * time.Millisecond}}},
		{in: "custom:", want: netem.Profile{Name: "custom:"}},
		{in: "custom:mtu=1500,latency=5000us", want: netem.Profile{Name: "custom:latency=5ms,mtu=1500",
			Network: latency.Network{Latency: 5 * time.Millisecond, MTU: 1500}}},
		{in: "custom:seed=7,loss=0.5%,jitter=2ms,latency=10ms", want: netem.Profile{Name: "custom:latency=10ms,jitter=2ms,dist=normal,loss=0.5%,seed=7",
			Network: latency.Network{Latency: 10 * time.Millisecond}, Jitter: 2 * time.Millisecond, Loss: 0.5, Seed: 7}},
		{in: "custom:jitter=1ms,dist=pareto,seed=0", want: netem.Profile{Name: "custom:jitter=1ms,dist=pareto,seed=0",
			Jitter: time.Millisecond, Dist: netem.Pareto}},
		{in: "custom:partition=30s:2s", want: netem.Profile{Name: "custom:partition=30s:2s",
			PartitionEvery: 30 * time.Second, PartitionFor: 2 * time.Second}},
		{in: "dialup", wantErr: `unknown network profile "dialup" (have local, lan, wan, longhaul, lossy-wan, mobile, flaky-lan, or custom:latency=20ms,jitter=2ms`},
		{in: "custom:latency=20", wantErr: `bad latency "20"`},
		{in: "custom:latency=-1ms", wantErr: `bad latency "-1ms": negative`},
		{in: "custom:jitter=-1ms", wantErr: `bad jitter "-1ms": negative`},
		{in: "custom:kbps=fast", wantErr: `bad kbps "fast"`},
		{in: "custom:mtu=-5", wantErr: `bad mtu "-5": negative`},
		{in: "custom:dist=gamma", wantErr: `bad dist "gamma": want one of [normal pareto paretonormal]`},
		{in: "custom:loss=1", wantErr: `bad loss "1": want a percentage such as 1%`},
		{in: "custom:loss=100%", wantErr: `bad loss "100%": want at least 0% and under 100%`},
		{in: "custom:partition=2s", wantErr: `bad partition "2s": want EVERY:FOR`},
		{in: "custom:partition=2s:2s", wantErr: `bad partition "2s:2s": the outage 2s must be longer than 0 and shorter than the period 2s`},
		{in: "custom:seed=-1", wantErr: `bad seed "-1"`},
		{in: "custom:reorder=1%", wantErr: `unknown figure "reorder" (have latency, jitter, dist, kbps, mtu, loss, partition, seed)`},
		{in: "custom:latency", wantErr: `"latency" is not key=value`},
		{in: "custom:mtu=1,mtu=2", wantErr: "mtu given twice"},
		{in: "custom:mtu=1,,kbps=2", wantErr: `"" is not key=value`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p, err := netem.Parse(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse(%q) = %v, %v; want an error containing %q", tt.in, p, err, tt.wantErr)
				}
				return
			}
			if err != nil || p != tt.want {
				t.Fatalf("Parse(%q) = %+v, %v; want %+v", tt.in, p, err, tt.want)
			}
		})
	}
}

// A custom profile that draws random numbers without a seed gets the
// process's, the same for every configuration of a run, and its name
// carries it: parsing the name again gives the same profile.
func TestAChosenSeedIsInTheName(t *testing.T) {
	p, err := netem.Parse("custom:latency=1ms,loss=1%")
	if err != nil {
		t.Fatal(err)
	}
	if other, _ := netem.Parse("custom:loss=1%,latency=1ms"); other != p {
		t.Fatalf("one process parsed %+v, then %+v", p, other)
	}
	if !strings.Contains(p.Name, ",seed=") || !strings.Contains(p.String(), ", seed ") {
		t.Fatalf("name %q, description %q: want the seed in both", p.Name, p)
	}
	again, err := netem.Parse(p.Name)
	if err != nil || again != p {
		t.Fatalf("Parse(%q) = %+v, %v; want %+v", p.Name, again, err, p)
	}
}

func TestProfilesDescribeThemselves(t *testing.T) {
	want := []string{
		"local: no emulation",
		"lan: latency 2ms one way, bandwidth 102400 kbit/s, MTU 1500 bytes",
		"wan: latency 30ms one way, bandwidth 20480 kbit/s, MTU 1500 bytes",
		"longhaul: latency 200ms one way, bandwidth 1024000 kbit/s, MTU 9000 bytes",
		"lossy-wan: latency 40ms one way, jitter 5ms normal, loss 1%, bandwidth 20480 kbit/s, MTU 1500 bytes, seed 1",
		"mobile: latency 30ms one way, jitter 15ms paretonormal, loss 1%, bandwidth 10240 kbit/s, MTU 1400 bytes, seed 1",
		"flaky-lan: latency 2ms one way, jitter 200µs normal, loss 0.1%, partitioned 1s every 10s, bandwidth 102400 kbit/s, MTU 1500 bytes, seed 1",
	}
	profiles := netem.Profiles()
	if len(profiles) != len(want) {
		t.Fatalf("%d profiles, want %d", len(profiles), len(want))
	}
	for i, p := range profiles {
		if p.String() != want[i] {
			t.Errorf("profile %d: %q, want %q", i, p, want[i])
		}
	}
	p, _ := netem.Parse("custom:latency=1ms")
	if got := p.String(); got != "custom:latency=1ms: latency 1ms one way, unlimited bandwidth, no MTU" {
		t.Errorf("custom profile: %q", got)
	}
}

func TestLocalIsTheTransportItself(t *testing.T) {
	p, _ := netem.Parse("local")
	if tr := netem.Wrap(tcp.Transport{}, p); tr != (tcp.Transport{}) {
		t.Errorf("Wrap(tcp, local) = %T, want tcp.Transport itself", tr)
	}
}

// pairOver starts both halves of tcp wrapped in the profile spec; they
// close when the test ends.
func pairOver(t *testing.T, spec string) (net.Listener, transports.Caller) {
	t.Helper()
	p, err := netem.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	l, caller, err := transports.Pair(context.Background(), netem.Wrap(tcp.Transport{}, p), transports.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		caller.Close()
		l.Close()
	})
	return l, caller
}

// ends returns both ends of a new connection between caller and l; they
// close when the test ends.
func ends(t *testing.T, l net.Listener, caller transports.Caller) (calling, serving net.Conn) {
	t.Helper()
	c, err := caller.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return c, s
}

// A round trip cannot be faster than twice the one-way latency: a lower
// bound holds however loaded the machine is.
func TestRoundTripTakesAtLeastTwiceTheLatency(t *testing.T) {
	const oneWay = 25 * time.Millisecond
	l, caller := pairOver(t, "custom:latency=25ms")
	done := make(chan struct{})
	go func() {
		defer close(done)
		s, err := l.Accept()
		if err != nil {
			return
		}
		defer s.Close()
		io.Copy(s, s)
	}()
	c, err := caller.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	io.WriteString(c, "ping")
	got := make([]byte, 4)
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if rtt := time.Since(start); rtt < 2*oneWay {
		t.Errorf("round trip took %v, want at least %v", rtt, 2*oneWay)
	}
	c.Close()
	<-done
}

// The wrapper adds no bytes: a wrapped calling half talks to a plain
// serving half, and what it sends arrives delayed and whole, cut into
// MTU-sized packets it reassembles to.
func TestAWrappedEndTalksToAPlainOne(t *testing.T) {
	const oneWay = 25 * time.Millisecond
	p, err := netem.Parse("custom:latency=25ms,mtu=100")
	if err != nil {
		t.Fatal(err)
	}
	l, err := tcp.Transport{}.Serve(context.Background(), transports.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	caller, err := netem.Wrap(tcp.Transport{}, p).Call(context.Background(), transports.Config{Addr: l.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Close()
	c, s := ends(t, l, caller)
	msg := strings.Repeat("0123456789", 100) // ten packets
	start := time.Now()
	if _, err := io.WriteString(c, msg); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(s, got); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < oneWay {
		t.Errorf("a packet arrived after %v, before the %v of latency", took, oneWay)
	}
	if string(got) != msg {
		t.Fatalf("plain end read %q, want %q", got, msg)
	}
	// The plain end's replies are not delayed, and the wrapped end reads them as they are.
	io.WriteString(s, "reply")
	reply := make([]byte, 5)
	if _, err := io.ReadFull(c, reply); err != nil || string(reply) != "reply" {
		t.Fatalf("wrapped end read %q, %v; want %q", reply, err, "reply")
	}
}

// Over real loopback TCP with 5% of packets lost, some calls wait for a
// retransmission: at least TCP's minimum timeout, 200ms, more than a
// hundred times the 2ms round trip. (A lower bound, true however loaded
// the machine.)
func TestLostPacketsDelayCallsByTheRetransmissionTimeout(t *testing.T) {
	const calls, rtoMin = 100, 200 * time.Millisecond
	l, caller := pairOver(t, "custom:latency=1ms,loss=5%,seed=3")
	transporttest.ServeGob(t, l)
	c, err := caller.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	client := rpc.NewClient(c)
	defer client.Close()
	delayed := 0
	for i := range calls {
		start := time.Now()
		var reply service.Product
		if err := client.Call("Arith.Multiply", &service.Args{A: int64(i), B: 2}, &reply); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if reply.Value != int64(2*i) {
			t.Fatalf("call %d: %d × 2 = %d", i, i, reply.Value)
		}
		if time.Since(start) >= rtoMin {
			delayed++
		}
	}
	if delayed == 0 {
		t.Errorf("no call of %d took %v or more: no packet was lost and retransmitted", calls, rtoMin)
	}
	t.Logf("%d of %d calls waited for a retransmission", delayed, calls)
}

// A graceful shutdown reaches the listener beneath: the wrapped listener
// stops accepting and the connection it yielded still carries bytes.
func TestStopAcceptingLeavesConnectionsOpen(t *testing.T) {
	l, caller := pairOver(t, "custom:latency=1ms")
	if _, ok := l.(transports.Drainer); !ok {
		t.Fatalf("%T is no transports.Drainer", l)
	}
	c, s := ends(t, l, caller)
	if err := transports.StopAccepting(l); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Accept(); err == nil {
		t.Error("Accept after StopAccepting yielded a connection")
	}
	io.WriteString(c, "still open")
	got := make([]byte, len("still open"))
	if _, err := io.ReadFull(s, got); err != nil || string(got) != "still open" {
		t.Fatalf("read %q, %v after StopAccepting; want the bytes", got, err)
	}
}
