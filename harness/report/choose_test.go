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

// TestWhichCodecTakesEachFormatAtItsFastestLibrary measures two formats
// through two libraries each: the picks compare formats (msgpack-msgp
// against json, never against msgpack), and the lines under the table
// give what the library alone moved, each ratio one row's median figure
// over the other's.
func TestWhichCodecTakesEachFormatAtItsFastestLibrary(t *testing.T) {
	var rs []*measure.Result
	for range 3 {
		msgp := speaks(result("codec=msgpack-msgp", 1, 0, 20*time.Microsecond), "msgpack", "github.com/tinylib/msgp")
		msgp.Allocs = uint64(msgp.Calls) // 1 a call against msgpack's 3
		segmentio := speaks(result("codec=json-segmentio", 1, 0, 60*time.Microsecond), "json", "github.com/segmentio/encoding")
		segmentio.Allocs = uint64(segmentio.Calls) * 6
		rs = append(rs, msgp, speaks(result("codec=msgpack", 1, 0, 30*time.Microsecond), "msgpack", "github.com/vmihailenco/msgpack/v5"),
			speaks(result("codec=json", 1, 0, 40*time.Microsecond), "json", "github.com/goccy/go-json"), segmentio)
	}
	md := markdown(t, rs)
	for _, want := range []string{
		// calls/s: 1/20µs over 1/30µs; p50: 20µs over 30µs as the
		// histogram holds them; allocs: 1 over 3; the same bytes.
		"- bytes:1KiB, tcp, 1 caller: **msgpack**: msgpack-msgp (tinylib/msgp) vs msgpack (vmihailenco/msgpack/v5): calls/s ×1.50, p50 ×0.67, allocs/op ×0.33, wire-B/op ×1.00\n",
		"- bytes:1KiB, tcp, 1 caller: **json**: json (goccy/go-json) vs json-segmentio (segmentio/encoding): calls/s ×1.50, p50 ×0.67, allocs/op ×0.50, wire-B/op ×1.00\n",
		"| bytes:1KiB | tcp, 1 caller | **msgpack-msgp** 20.02µs; then json +100.0%",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("missing %q in\n%s", want, md[:min(len(md), 3000)])
		}
	}
	if section := md[:strings.Index(md, "## How these")]; strings.Contains(section, "then msgpack ") || strings.Contains(section, "then json-segmentio ") {
		t.Errorf("a format's slower library competes with the formats:\n%s", section)
	}
}

// speaks records that r's codec speaks format through library, as a run
// does.
func speaks(r *measure.Result, format, library string) *measure.Result {
	r.Format, r.Library = format, library
	return r
}
