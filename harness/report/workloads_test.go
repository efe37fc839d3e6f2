package report_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/harness/report"
	"github.com/rpcbench/rpcbench/measure"
)

// workload makes a result of a watch or duplex row.
func workload(stack, transport, payload, wl, dir, against string, lat time.Duration) *measure.Result {
	r := result(stack, 4, 0, lat)
	r.Transport, r.Payload, r.Workload, r.Dir, r.Against = transport, payload, wl, dir, against
	r.Name = "RPC/" + stack + "/transport=" + transport + "/payload=" + payload + "/conc=4/workload=" + wl
	if against != "" {
		r.Name += "-against-" + against
	}
	if dir != "" {
		r.Name += "/dir=" + dir
	}
	if wl == "watch" {
		r.Rate, r.Sets = 1000, 200
	}
	return r
}

func TestTheReportShowsTheWorkloads(t *testing.T) {
	var rs []*measure.Result
	for _, s := range []string{"codec=msgpack", "peer=grpc"} {
		rs = append(rs,
			workload(s, "tcp", "bytes:16", "watch", "", "", 300*time.Microsecond),
			workload(s, "duplex", "bytes:16", "duplex", "down", "", 50*time.Microsecond),
			workload(s, "duplex", "bytes:16", "duplex", "up", "", 50*time.Microsecond),
			workload(s, "duplex", "bytes:64KiB", "duplex", "down", "bytes:16x4", 400*time.Microsecond),
			workload(s, "duplex", "bytes:16", "duplex", "up", "bytes:64KiBx4", 200*time.Microsecond))
	}
	r, err := report.New("rpcbench report", []report.Input{closedLoop(), input("results/workloads", rs...)}, report.ChartDir)
	if err != nil {
		t.Fatal(err)
	}
	md := string(r.Markdown)
	for _, want := range []string{
		"## Watch: long-poll notifications",
		"| msgpack | tcp | 4 | 1333 | 13333 | ", // Sets/s beside notifications/s
		"](charts/watch-tcp-c4-r1000.svg)",      // the notification-latency chart
		"## Duplex: calls both ways",
		"| msgpack | duplex | up | bytes:16 | 4 | bytes:64KiBx4 |",
		"| peer=grpc | duplex | down | bytes:16 | 4 | the same |",
		"](charts/duplex-duplex.svg)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the report lacks %q:\n%s", want, md)
		}
	}
	// The workloads' rows stay out of the call workload's sections.
	if strings.Contains(md, "## Payload bytes:64KiB") {
		t.Errorf("a duplex row has a call section of its own:\n%s", md)
	}
	var duplexChart string
	for _, c := range r.Charts {
		if c.Name == "charts/duplex-duplex.svg" {
			duplexChart = string(c.SVG)
		}
	}
	for _, series := range []string{"same load both ways", "bulk transfer", "small calls against the bulk"} {
		if !strings.Contains(duplexChart, series) {
			t.Errorf("the duplex chart has no %q series", series)
		}
	}
}
