package measure

import (
	"testing"
)

func TestANameReadsBackAsWritten(t *testing.T) {
	for _, s := range []string{
		"RPC/codec=msgpack/transport=tcp/payload=bytes:1KiB/conc=16/conns=4",
		"RPC/peer=floor/transport=tcp/net=custom:latency=100us,kbps=10000000/payload=arith/conc=1/rate=5000-2",
		"RPC/codec=gob/transport=tcp/payload=arith/conc=1/work=200us/busy/auth-16",
		"RPC/codec=json/transport=tcp/payload=records:100/conc=16/workload=duplex-against-bytes:64KiBx4/dir=up",
		"Plain",
	} {
		if got := ParseName(s).String(); got != s {
			t.Errorf("ParseName(%q).String() = %q", s, got)
		}
	}
}

func TestANamesPartsAreItsKeys(t *testing.T) {
	n := ParseName("RPC/peer=floor-mux/transport=unix/payload=bytes:16/conc=16/busy-2")
	if n.Base != "RPC" || n.Procs != "-2" || len(n.Parts) != 5 {
		t.Fatalf("%#v; want base RPC, suffix -2, 5 parts", n)
	}
	if v, ok := n.Get("payload"); v != "bytes:16" || !ok {
		t.Errorf("payload = %q, %v", v, ok)
	}
	if v, ok := n.Get("busy"); v != "" || !ok || !n.Parts[4].Flag {
		t.Errorf("busy = %q, %v, flag %v; want a flag", v, ok, n.Parts[4].Flag)
	}
	if _, ok := n.Get("rate"); ok {
		t.Error("found rate in a closed-loop name")
	}
	if id, ok := n.Stack(); !ok || id != FloorMuxID() {
		t.Errorf("Stack() = %v, %v; want %v", id, ok, FloorMuxID())
	}
	if _, ok := ParseName("BenchmarkX/size=1").Stack(); ok {
		t.Error("a name without a codec= or peer= part has a stack")
	}
}

func FuzzParseName(f *testing.F) {
	f.Add("RPC/codec=gob/transport=tcp/payload=arith/conc=1/busy-2")
	f.Add("x/=/a=b=c//-")
	f.Fuzz(func(t *testing.T, s string) {
		n := ParseName(s)
		if again := ParseName(n.String()); again.String() != n.String() {
			t.Errorf("%q: %q reads back as %q", s, n.String(), again.String())
		}
	})
}
