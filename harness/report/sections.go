package report

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/rpcbench/rpcbench/harness/format"
	"github.com/rpcbench/rpcbench/measure"
)

// This file holds the report's sections that compare stacks across a
// whole matrix rather than within one payload: each is computed from the
// rows it is given and left out, heading and all, when they lack what it
// needs (a run without the standard library's peers, or results written
// before context switches were counted).

// stdlibPairs are rpcbench's hardened codecs and the standard library's
// unchanged codec each one stands beside.
var stdlibPairs = []struct{ codec, stdlib measure.StackID }{
	{measure.CodecID("gob"), measure.PeerID("stdlib-gob")},
	{measure.CodecID("json"), measure.PeerID("stdlib-json")},
}

// hardening writes "What hardening costs": each hardened codec's
// allocations, bytes, p50 and calls/s beside net/rpc's own codec measured
// under the same conditions, a table per payload, and a sentence per
// codec with the median differences.
// serveBounds are the server's bounds and their defaults, as the README
// lists them: what, the bound, the flag that moves it ("-" for none).
var serveBounds = [][3]string{
	{"one message", "64 MiB", "`--max-message`"},
	{"calls in flight per connection", "128; a connection at the limit is still read (4 KiB ahead) for its close", "-"},
	{"bytes of requests in flight (codec state included: gob's types, at most 1024 in 1 MiB)", "16 MiB a connection, 64 MiB in all", "-"},
	{"bytes of replies waiting to be written", "32 MiB; a reply under 64 KiB never waits", "-"},
	{"KV store", "1,048,576 keys and 64 MiB (each key counted 256 bytes more); a Set past them fails naming the flag", "`--kv-max-keys`, `--kv-max-bytes`"},
	{"a KV.Watch's timeout", "24 h; a negative or larger timeout_ms is an error", "-"},
	{"duplex: streams per session", "64, plus 64 queued; 256 KiB buffered per stream", "`--duplex-max-streams`"},
	{"duplex: sessions per master", "16; a session is used once it answers a ping (5 s), its worker logs in (10 s) with --token-file", "`--duplex-max-sessions`"},
	{"duplex: the other side's pings", "8 answered a second, the rest dropped under the session", "-"},
}

func hardening(b *bytes.Buffer, rows []*format.Row) {
	type pair struct{ hard, std *format.Row }
	pairs := make(map[string][]pair) // by codec
	var byPayload [][]pair
	for _, payload := range distinct(rows, func(row *format.Row) string { return row.First.Payload }) {
		var ps []pair
		for _, p := range stdlibPairs {
			for _, row := range rows {
				if row.First.Payload != payload || row.First.Stack != p.codec.String() {
					continue
				}
				if std := format.Reference(rows, row, p.stdlib.String()); std != nil {
					ps = append(ps, pair{row, std})
					pairs[p.codec.Name] = append(pairs[p.codec.Name], pair{row, std})
				}
			}
		}
		if len(ps) > 0 {
			byPayload = append(byPayload, ps)
		}
	}
	if len(byPayload) == 0 {
		return
	}
	fmt.Fprintf(b, "## What hardening costs\n\n")
	fmt.Fprintf(b, "rpcbench's gob and json codecs cap each message (64 MiB by default), let memory follow the bytes that have arrived rather than what a length prefix claims, and check every length inside a message against the bytes left in it, so that a hostile peer cannot make them allocate without limit (net/rpc's gob accepts messages up to 8 GB; net/rpc/jsonrpc buffers any JSON value whole). peer=stdlib-gob and peer=stdlib-json are net/rpc's own gob codec and net/rpc/jsonrpc, unchanged, on the same service in the same run. Δ is hardened minus standard library; × is hardened divided by standard library.\n\n")
	fmt.Fprintf(b, "Beyond the codecs, everything a peer can make `rpcbench serve` hold is bounded, before a login and after (DESIGN 13), with these defaults:\n\n")
	fmt.Fprintf(b, "| what | bound (default) | flag |\n|---|---|---|\n")
	for _, bound := range serveBounds {
		fmt.Fprintf(b, "| %s | %s | %s |\n", bound[0], bound[1], bound[2])
	}
	fmt.Fprintln(b)
	for _, p := range stdlibPairs {
		ps := pairs[p.codec.Name]
		if len(ps) == 0 {
			continue
		}
		allocs := make([]float64, len(ps))
		bs := make([]float64, len(ps))
		p50 := make([]float64, len(ps))
		calls := make([]float64, len(ps))
		for i, q := range ps {
			h, s := q.hard.Medians, q.std.Medians
			allocs[i] = h[measure.UnitAllocsPerOp] - s[measure.UnitAllocsPerOp]
			bs[i] = h[measure.UnitBytesPerOp] - s[measure.UnitBytesPerOp]
			p50[i] = ratio(h[measure.UnitP50], s[measure.UnitP50])
			calls[i] = ratio(h[measure.UnitCallsPerSec], s[measure.UnitCallsPerSec])
		}
		fmt.Fprintf(b, "- Hardened %s makes %s allocs/op and %s B/op than net/rpc's own, and its p50 is %s and its calls/s %s (medians over %d configurations).\n",
			p.codec.Name, more(median(allocs), "%.1f"), more(median(bs), "%.0f"),
			percent(median(p50), "higher", "lower"), percent(median(calls), "higher", "lower"), len(ps))
	}
	fmt.Fprintln(b)
	for _, ps := range byPayload {
		fmt.Fprintf(b, "### Hardening: payload %s\n\n", ps[0].hard.First.Payload)
		cols := []string{"codec", "transport", "callers", "allocs/op", "stdlib", "Δ", "B/op", "stdlib", "Δ", "p50", "stdlib", "×", "calls/s", "stdlib", "×"}
		fmt.Fprintf(b, "| %s |\n|---|---|%s\n", strings.Join(cols, " | "), strings.Repeat("---:|", len(cols)-2))
		for _, q := range ps {
			h, s := q.hard.Medians, q.std.Medians
			cells := []string{
				stackLabel(q.hard.First.Stack), format.TransportLabel(q.hard.First), format.Callers(q.hard.First),
				fmt.Sprintf("%.1f", h[measure.UnitAllocsPerOp]), fmt.Sprintf("%.1f", s[measure.UnitAllocsPerOp]), fmt.Sprintf("%+.1f", h[measure.UnitAllocsPerOp]-s[measure.UnitAllocsPerOp]),
				fmt.Sprintf("%.0f", h[measure.UnitBytesPerOp]), fmt.Sprintf("%.0f", s[measure.UnitBytesPerOp]), fmt.Sprintf("%+.0f", h[measure.UnitBytesPerOp]-s[measure.UnitBytesPerOp]),
				duration(h[measure.UnitP50]), duration(s[measure.UnitP50]), format.Ratio(q.hard, q.std, measure.UnitP50),
				fmt.Sprintf("%.0f", h[measure.UnitCallsPerSec]), fmt.Sprintf("%.0f", s[measure.UnitCallsPerSec]), format.Ratio(q.hard, q.std, measure.UnitCallsPerSec),
			}
			fmt.Fprintf(b, "| %s |\n", strings.Join(cells, " | "))
		}
		fmt.Fprintln(b)
	}
}

// hiddenCallers are the concurrencies the hidden-costs table shows: one
// caller, where nothing is shared, and 16, where callers share
// connections and every hand-off between goroutines shows.
var hiddenCallers = []int{1, 16}

// hiddenCosts writes "Costs allocs/op cannot show": context switches and
// read/write system calls per call for every codec and floor in closed
// loop at 1 and 16 callers, and a sentence comparing net/rpc's codecs with
// floor-mux, the least a multiplexer sharing connections can cost.
func hiddenCosts(b *bytes.Buffer, rows []*format.Row) {
	shown := filter(rows, func(row *format.Row) bool {
		r := row.First
		id, err := measure.ParseID(r.Stack)
		if err != nil || r.Rate > 0 || !slices.Contains(hiddenCallers, r.Concurrency) {
			return false
		}
		return id.Kind == measure.KindCodec || id == measure.FloorID() || id == measure.FloorMuxID()
	})
	if !slices.ContainsFunc(shown, func(row *format.Row) bool {
		return row.Medians[measure.UnitCtxswPerOp] > 0 || row.Medians[measure.UnitRWPerOp] > 0
	}) {
		return // results from before these were counted
	}
	fmt.Fprintf(b, "## Costs allocs/op cannot show\n\n")
	fmt.Fprintf(b, "ctxsw/op is the process's context switches per call, voluntary and involuntary (getrusage); rw-syscalls/op its read- and write-family system calls per call (/proc/self/io). In-process they count client and server together. peer=floor is the raw-TCP echo with a connection per caller; peer=floor-mux multiplexes callers over shared connections with a request id, one writer lock and one reader goroutine per connection, and echoes on the server's reading goroutine.\n\n")
	if s := handOffs(rows, shown); s != "" {
		fmt.Fprintf(b, "%s\n\n", s)
	}
	for _, payload := range distinct(shown, func(row *format.Row) string { return row.First.Payload }) {
		fmt.Fprintf(b, "### Hand-offs: payload %s\n\n", payload)
		cols := []string{"stack", "transport", "callers", "ctxsw/op", "rw-syscalls/op", "allocs/op", "p50", "ctxsw ×floor-mux", "rw-syscalls ×floor-mux"}
		fmt.Fprintf(b, "| %s |\n|---|---|%s\n", strings.Join(cols, " | "), strings.Repeat("---:|", len(cols)-2))
		for _, row := range shown {
			if row.First.Payload != payload {
				continue
			}
			m := row.Medians
			mux := format.Reference(rows, row, measure.FloorMuxID().String())
			fmt.Fprintf(b, "| %s |\n", strings.Join([]string{
				stackLabel(row.First.Stack), format.TransportLabel(row.First), format.Callers(row.First),
				fmt.Sprintf("%.2f", m[measure.UnitCtxswPerOp]), fmt.Sprintf("%.2f", m[measure.UnitRWPerOp]), fmt.Sprintf("%.1f", m[measure.UnitAllocsPerOp]), duration(m[measure.UnitP50]),
				format.Ratio(row, mux, measure.UnitCtxswPerOp), format.Ratio(row, mux, measure.UnitRWPerOp),
			}, " | "))
		}
		fmt.Fprintln(b)
	}
}

// handOffs is the sentence comparing net/rpc's codecs with floor-mux at
// 16 callers, or "" when the rows lack either.
func handOffs(all, shown []*format.Row) string {
	var ctx, rw, muxCtx, muxRW, ctxX, rwX []float64
	for _, row := range shown {
		r := row.First
		if id, _ := measure.ParseID(r.Stack); id.Kind != measure.KindCodec || r.Concurrency != 16 {
			continue
		}
		mux := format.Reference(all, row, measure.FloorMuxID().String())
		if mux == nil || mux.Medians[measure.UnitCtxswPerOp] == 0 || mux.Medians[measure.UnitRWPerOp] == 0 {
			continue
		}
		ctx = append(ctx, row.Medians[measure.UnitCtxswPerOp])
		rw = append(rw, row.Medians[measure.UnitRWPerOp])
		muxCtx = append(muxCtx, mux.Medians[measure.UnitCtxswPerOp])
		muxRW = append(muxRW, mux.Medians[measure.UnitRWPerOp])
		ctxX = append(ctxX, row.Medians[measure.UnitCtxswPerOp]/mux.Medians[measure.UnitCtxswPerOp])
		rwX = append(rwX, row.Medians[measure.UnitRWPerOp]/mux.Medians[measure.UnitRWPerOp])
	}
	if len(ctx) == 0 {
		return ""
	}
	cx, rx := median(ctxX), median(rwX)
	s := fmt.Sprintf("At 16 callers, net/rpc's codecs take a median of %.2f context switches and %.2f read/write system calls per call, against floor-mux's %.2f and %.2f: %.2f× and %.2f× (medians over %d configurations of codec and payload).",
		median(ctx), median(rw), median(muxCtx), median(muxRW), cx, rx, len(ctx))
	switch {
	case cx > 1.1:
		s += fmt.Sprintf(" Both multiplex the same callers over the same connections with a reader goroutine per connection, so the %.0f%% more context switches per call are hand-offs net/rpc adds on top: its server starts a goroutine per request instead of answering on the reading one.", (cx-1)*100)
	case cx < 1/1.1:
		s += fmt.Sprintf(" net/rpc's codecs switch %.0f%% less often than floor-mux per call: at this load their extra work per call keeps goroutines busy, so fewer of them park and wake.", (1-cx)*100)
	default:
		s += " net/rpc's codecs switch about as often as floor-mux per call: its hand-offs cost no more than multiplexing itself."
	}
	switch {
	case rx > 1.1:
		s += fmt.Sprintf(" They also make %.0f%% more reads and writes per call.", (rx-1)*100)
	case rx < 1/1.1:
		s += fmt.Sprintf(" They make %.0f%% fewer reads and writes per call: buffered, a read or write carries more than one call's bytes.", (1-rx)*100)
	}
	return s
}

// ratio is a/b, or NaN when there is no b.
func ratio(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return a / b
}

// median of v, ignoring NaNs; NaN when none is left.
func median(v []float64) float64 {
	v = slices.DeleteFunc(slices.Clone(v), math.IsNaN)
	if len(v) == 0 {
		return math.NaN()
	}
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// more says a difference in words: "1.0 more", "56 fewer", "no more".
func more(d float64, verb string) string {
	s := fmt.Sprintf(verb, math.Abs(d))
	switch {
	case strings.Trim(s, "0.") == "":
		return "no more"
	case d > 0:
		return s + " more"
	default:
		return s + " fewer"
	}
}

// percent says a ratio in words: "12% higher", "3% lower", "the same".
func percent(x float64, up, down string) string {
	switch p := math.Round((x - 1) * 100); {
	case math.IsNaN(x):
		return "not measured"
	case p > 0:
		return fmt.Sprintf("%.0f%% %s", p, up)
	case p < 0:
		return fmt.Sprintf("%.0f%% %s", -p, down)
	default:
		return "the same"
	}
}
