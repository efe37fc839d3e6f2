package netem_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc/benchmark/latency"

	"github.com/rpcbench/rpcbench/transports"
	"github.com/rpcbench/rpcbench/transports/netem"
	"github.com/rpcbench/rpcbench/transports/tcp"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    latency.Network
		wantErr string
	}{
		{in: "local", want: latency.Local},
		{in: "lan", want: latency.LAN},
		{in: "wan", want: latency.WAN},
		{in: "longhaul", want: latency.Longhaul},
		{in: "custom:latency=20ms,kbps=10000,mtu=1500", want: latency.Network{Kbps: 10000, Latency: 20 * time.Millisecond, MTU: 1500}},
		{in: "custom:latency=5ms", want: latency.Network{Latency: 5 * time.Millisecond}},
		{in: "custom:", want: latency.Local},
		{in: "dialup", wantErr: `unknown network profile "dialup" (have local, lan, wan, longhaul`},
		{in: "custom:latency=20", wantErr: `bad latency "20"`},
		{in: "custom:latency=-1ms", wantErr: `bad latency "-1ms": negative`},
		{in: "custom:kbps=fast", wantErr: `bad kbps "fast"`},
		{in: "custom:mtu=-5", wantErr: `bad mtu "-5": negative`},
		{in: "custom:jitter=1ms", wantErr: `unknown figure "jitter" (have latency, kbps, mtu)`},
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
			if err != nil || p.Network != tt.want || p.Name != tt.in {
				t.Fatalf("Parse(%q) = %+v, %v; want %+v named %q", tt.in, p, err, tt.want, tt.in)
			}
		})
	}
}

func TestProfilesDescribeThemselves(t *testing.T) {
	want := []string{
		"local: no emulation",
		"lan: latency 2ms one way, bandwidth 102400 kbit/s, MTU 1500 bytes",
		"wan: latency 30ms one way, bandwidth 20480 kbit/s, MTU 1500 bytes",
		"longhaul: latency 200ms one way, bandwidth 1024000 kbit/s, MTU 9000 bytes",
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

// A round trip cannot be faster than twice the one-way latency: a lower
// bound holds however loaded the machine is.
func TestRoundTripTakesAtLeastTwiceTheLatency(t *testing.T) {
	const oneWay = 25 * time.Millisecond
	p, err := netem.Parse("custom:latency=25ms")
	if err != nil {
		t.Fatal(err)
	}
	tr := netem.Wrap(tcp.Transport{}, p)
	l, caller, err := transports.Pair(context.Background(), tr, transports.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	defer caller.Close()
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
	c, err := caller.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
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
