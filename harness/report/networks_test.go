package report_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/harness/report"
	"github.com/rpcbench/rpcbench/measure"
)

// onNet is result's row on the network net: calls of lat, and a tail of
// lossy ones that waited 200ms (a retransmission timeout).
func onNet(net string, lossy int, recoveries ...time.Duration) *measure.Result {
	r := result("codec=msgpack", 16, 0, 2*time.Millisecond)
	r.Net, r.Name = net, r.Name+"/net="+net
	for range lossy {
		r.Latency.Record(200 * time.Millisecond)
	}
	r.Calls += int64(lossy)
	r.Recoveries = recoveries
	return r
}

func TestBadNetworksHaveASectionOfTheirOwn(t *testing.T) {
	nets := input("results/networks",
		onNet("custom:latency=1ms", 0),
		onNet("custom:latency=1ms,loss=1%,seed=1", 60),
		onNet("custom:latency=1ms,partition=2s:300ms", 0, 300*time.Millisecond, 310*time.Millisecond, 320*time.Millisecond))
	rep, err := report.New("rpcbench report", []report.Input{closedLoop(), nets}, report.ChartDir)
	if err != nil {
		t.Fatal(err)
	}
	md := string(rep.Markdown)
	section, _, _ := strings.Cut(md[strings.Index(md, "## Bad networks"):], "\n## ")
	for _, want := range []string{
		"| stack | transport | callers | p99 at 0% | p99.9 at 0% | p99 at 1% | p99.9 at 1% |",
		// Without loss the fixture's tail: p99 in its 6ms tenth, p99.9 in
		// its 10ms one. With 60 of 2060 calls at 200ms, both are 200ms.
		"| msgpack | tcp | 16 | 6.001ms | 10.00ms | 200.0ms | 200.0ms |",
		"| msgpack | tcp | 16 | 3 | 310.0ms | 320.0ms | 0 |",
		"With the link down for 300ms every 2s, calls resumed a median 310.0ms after it came back",
		"![p99.9 against the loss rate](charts/networks-loss.svg)",
	} {
		if !strings.Contains(section, want) {
			t.Errorf("the bad networks section lacks %q:\n%s", want, section)
		}
	}
	if strings.Count(md, "custom:latency") > strings.Count(section, "custom:latency") {
		t.Errorf("network rows also appear outside their section:\n%s", md)
	}
}
