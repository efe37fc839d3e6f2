package harness_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/harness"
	"github.com/rpcbench/rpcbench/payload"
	"github.com/rpcbench/rpcbench/stack"
	"github.com/rpcbench/rpcbench/transports"
)

func TestPlanExpandsListsInTableOrder(t *testing.T) {
	tcp, err := transports.Lookup("tcp")
	if err != nil {
		t.Fatal(err)
	}
	var links []string
	plan := harness.Plan{
		Base:        harness.Config{Conns: 1, Pipeline: 1, Duration: time.Second, Timeout: time.Second},
		Stacks:      []stack.Stack{msgpackStack(t), stack.Floor{}},
		Payloads:    []payload.Payload{mustPayload(t, "arith"), mustPayload(t, "bytes:16")},
		Concurrency: []int{1, 4},
		Transports:  []string{"tcp"},
		Link: func(transport, codec string) (harness.Link, error) {
			links = append(links, transport+" "+codec)
			return harness.Link{Transport: tcp, Net: "lan"}, nil
		},
		Workloads: []harness.Workload{harness.Call{}, harness.Watch{}},
		Watchers:  7,
		Rates:     []float64{100, 200},
	}
	cfgs, notes, err := plan.Expand()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cfgs {
		names = append(names, c.Name())
		if c.Net != "lan" || c.Transport != tcp || c.Duration != time.Second {
			t.Errorf("%s: net %q, transport %v, duration %v; want the link's and the base's", c.Name(), c.Net, c.Transport, c.Duration)
		}
	}
	// Per rate: call for each payload and callers (the mux floor where 4
	// callers share 1 connection), then watch, whose callers are the 7
	// watchers whatever --concurrency says, once per payload.
	perRate := []string{
		"payload=arith/conc=1/", "payload=arith/conc=1/", // msgpack, floor
		"payload=arith/conc=4/", "payload=arith/conc=4/", "payload=arith/conc=4/", // msgpack, floor, floor-mux
		"payload=bytes:16/conc=1/", "payload=bytes:16/conc=1/",
		"payload=bytes:16/conc=4/", "payload=bytes:16/conc=4/", "payload=bytes:16/conc=4/",
		"payload=arith/conc=7/", "payload=bytes:16/conc=7/", // watch: msgpack only
	}
	if len(names) != 2*len(perRate) {
		t.Fatalf("%d configurations; want %d:\n%s", len(names), 2*len(perRate), strings.Join(names, "\n"))
	}
	for i, name := range names {
		rate := []string{"/rate=100", "/rate=200"}[i/len(perRate)]
		if want := perRate[i%len(perRate)]; !strings.Contains(name, want) || !strings.Contains(name, rate) {
			t.Errorf("configuration %d is %s; want %s and %s in it", i, name, want, rate)
		}
	}
	if !slices.ContainsFunc(names, func(n string) bool { return strings.Contains(n, "floor-mux") }) {
		t.Errorf("no floor-mux among:\n%s", strings.Join(names, "\n"))
	}
	if len(notes) != 2 || !strings.Contains(notes[0], "workload watch: peer=floor: left out") || !strings.Contains(notes[1], "peer=floor-mux: left out") {
		t.Errorf("notes %q; want one each saying watch left the floors out", notes)
	}
	if len(links) != 10 {
		t.Errorf("%d links made; want one per configuration before workloads and rates, 10", len(links))
	}
}

func TestPlanSaysWhyALinkCannotBeMade(t *testing.T) {
	bad := errors.New(`--transport "smoke": unknown`)
	plan := harness.Plan{
		Stacks: []stack.Stack{stack.Floor{}}, Payloads: []payload.Payload{mustPayload(t, "arith")},
		Concurrency: []int{1}, Transports: []string{"smoke"}, Workloads: []harness.Workload{harness.Call{}},
		Link: func(string, string) (harness.Link, error) { return harness.Link{}, bad },
	}
	if _, _, err := plan.Expand(); !errors.Is(err, bad) {
		t.Errorf("error %v; want %v", err, bad)
	}
}
