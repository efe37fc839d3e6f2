package attack_test

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The impaired link between the two namespaces: each direction delays
// every packet by oneWay and drops lossPct percent of them.
const (
	oneWay  = 10 * time.Millisecond
	lossPct = 2
)

// A host is one end of a veth pair, in a network namespace of its own.
type host struct {
	ns, ip string
	exec   []string // runs a command inside the namespace
}

// impairment says how the link was impaired: netem when the kernel has it,
// else loss alone through nftables (sch_netem is absent from some VM
// kernels, where no qdisc can delay).
type impairment struct{ delayed bool }

// newLink makes two network namespaces joined by a veth pair, with delay
// and loss on both ends, and deletes them at cleanup. It skips the test
// where namespaces cannot be made, unless CI=true, where that fails.
func newLink(t *testing.T) (server, client host, imp impairment) {
	t.Helper()
	cannot := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf("network namespaces: "+format, args...)
		}
		t.Skipf("network namespaces: "+format+" (set CI=true to make this a failure)", args...)
	}
	if os.Geteuid() != 0 {
		cannot("need root to create them, running as uid %d", os.Geteuid())
	}
	if _, err := exec.LookPath("ip"); err != nil {
		cannot("no ip command (install iproute2)")
	}
	prefix := fmt.Sprintf("rpcbench-attack-%d", os.Getpid())
	server = host{ns: prefix + "-server", ip: "10.99.0.1"}
	client = host{ns: prefix + "-client", ip: "10.99.0.2"}
	for _, h := range []*host{&server, &client} {
		if out, err := exec.Command("ip", "netns", "add", h.ns).CombinedOutput(); err != nil {
			cannot("ip netns add %s: %v: %s", h.ns, err, out)
		}
		t.Cleanup(func() {
			if out, err := exec.Command("ip", "netns", "del", h.ns).CombinedOutput(); err != nil {
				t.Errorf("ip netns del %s: %v: %s", h.ns, err, out)
			}
		})
		h.exec = []string{"ip", "netns", "exec", h.ns}
	}
	sh := func(h host, cmd string) error {
		argv := append(h.exec[:len(h.exec):len(h.exec)], strings.Fields(cmd)...)
		if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v: %s", strings.Join(argv, " "), err, out)
		}
		return nil
	}
	if out, err := exec.Command("ip", "link", "add", "veth0", "netns", server.ns, "type", "veth", "peer", "name", "veth0", "netns", client.ns).CombinedOutput(); err != nil {
		t.Fatalf("ip link add (veth pair): %v: %s", err, out)
	}
	for _, h := range []host{server, client} {
		for _, cmd := range []string{"ip addr add " + h.ip + "/24 dev veth0", "ip link set veth0 up", "ip link set lo up"} {
			if err := sh(h, cmd); err != nil {
				t.Fatal(err)
			}
		}
	}
	netem := fmt.Sprintf("tc qdisc add dev veth0 root netem delay %dms loss %d%%", oneWay.Milliseconds(), lossPct)
	if err := sh(server, netem); err == nil {
		if err := sh(client, netem); err != nil {
			t.Fatal(err)
		}
		return server, client, impairment{delayed: true}
	} else if !strings.Contains(err.Error(), "qdisc kind is unknown") {
		t.Fatal(err)
	}
	t.Logf("this kernel has no netem qdisc: dropping %d%% of packets with nftables instead, without delay", lossPct)
	if _, err := exec.LookPath("nft"); err != nil {
		cannot("the kernel has no netem qdisc, and there is no nft command to drop packets with (install nftables)")
	}
	for _, h := range []host{server, client} {
		argv := append(h.exec[:len(h.exec):len(h.exec)], "nft", "-f", "-")
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Stdin = strings.NewReader(fmt.Sprintf("table inet attack {\n chain in {\n  type filter hook input priority 0; numgen random mod 100 < %d drop\n }\n}\n", lossPct))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v: %s", strings.Join(argv, " "), err, out)
		}
	}
	return server, client, impairment{}
}

func TestRunAcrossALossyLinkBetweenNetworkNamespacesSucceeds(t *testing.T) {
	server, client, imp := newLink(t)
	srv := serve(t, server.exec, "msgpack", "--addr", server.ip+":0")
	srv.assertServing(t, client.exec, "across the link")
	before := netstat(t, client.exec)
	// Real loss: a call whose segment TCP resends after a backed-off
	// timeout may end seconds past the window, inside its own 10s.
	run := load(t, client.exec, srv.addr, "--timeout", "10s")
	code, r := finishIn(t, run, runFor+10*time.Second+exitSlack)
	after := netstat(t, client.exec)
	if code != 0 || r.Errors != 0 {
		t.Errorf("run exited %d with %d errors (first: %s), want 0 and none: TCP recovers what the link loses\nstderr:\n%s", code, r.Errors, r.FirstError, run.stderr)
	}
	retrans := func(m map[string]string) int { n, _ := strconv.Atoi(m["RetransSegs"]); return n }
	if retrans(after) <= retrans(before) {
		t.Errorf("the client's namespace retransmitted nothing (RetransSegs %s -> %s): the link lost no packets", before["RetransSegs"], after["RetransSegs"])
	}
	if p50 := time.Duration(r.Latency.ValueAtQuantile(50)); imp.delayed && p50 < 2*oneWay {
		t.Errorf("p50 latency %v across a link delayed %v each way, want at least the round trip %v", p50, oneWay, 2*oneWay)
	}
}
