package report_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/measure"
)

func TestWhichCodecOpensTheReportWithWinnersMarginsAndSignificance(t *testing.T) {
	var rs []*measure.Result
	for rep := range 5 {
		jitter := time.Duration(rep) * 100 * time.Nanosecond
		msgpack := result("codec=msgpack", 1, 0, 30*time.Microsecond+jitter)
		gob := result("codec=gob", 1, 0, 45*time.Microsecond+jitter)
		gob.WireBytes = gob.Calls * 2000 // smaller on the wire in every repetition
		gob.Allocs = msgpack.Allocs + uint64(rep%2)
		floor := result("peer=floor", 1, 0, 10*time.Microsecond+jitter)
		rs = append(rs, msgpack, gob, floor)
	}
	md := markdown(t, rs)
	want := "## Which codec, which transport\n"
	if !strings.HasPrefix(md[strings.Index(md, "\n## ")+1:], want) {
		t.Fatalf("the report does not open with %q:\n%s", want, md)
	}
	for _, cell := range []string{
		"| bytes:1KiB | tcp, 1 caller | **msgpack** 30.21µs; then gob +49.7%, significant (p=0.008, 5+5 repetitions) | ",
		"| **msgpack** 3.0 allocs; tied with gob (p=",
		"| **gob** 2000 B; then msgpack +4.7%, significant (exact) |",
	} {
		if !strings.Contains(md, cell) {
			t.Errorf("missing %q in\n%s", cell, md[:min(len(md), 2000)])
		}
	}
	if section := md[:strings.Index(md, "## How these")]; strings.Contains(section, "peer=floor") {
		t.Errorf("the floor competes:\n%s", section)
	}
}
