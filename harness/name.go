package harness

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rpcbench/rpcbench/codecs/frame"
	"github.com/rpcbench/rpcbench/measure"
	"github.com/rpcbench/rpcbench/transports"
)

// Name is the configuration's benchmark name, without the "Benchmark"
// prefix and the GOMAXPROCS suffix:
//
//	RPC/<stack>/transport=T[/net=N]/payload=P/conc=C[/conns=K][/pipeline=N][/rate=R]
//	   [/workload=W][/dir=D][/work=DUR][/busy][/stall=EVERY:FOR][/max-message=BYTES][/auth][/tls=mutual]
//
// It is the one function that names benchmarks: rpcbench run --format
// bench, matrix and go test -bench RPC (Benchmark) all call it, so that
// their lines compare and gate against each other. Every knob that changes
// what is measured is in it; the optional keys appear only when they
// differ from the default, in this order, and are computed from effective
// values, never from which flags were typed: one configuration, one name.
// A workload with several rows names each with its dir=.
func (cfg *Config) Name() string { return cfg.name("", cfg.workloadKey()) }

// name is the name of the row dir whose workload= key is key.
func (cfg *Config) name(dir, workload string) string {
	n := measure.Name{Base: "RPC"}
	key := func(k string, v any) { n.Add(k, fmt.Sprint(v)) }
	id := cfg.Stack.ID()
	key(id.Kind.Key(), id.Name)
	key("transport", cfg.Transport.Name())
	if cfg.Net != "" {
		key("net", cfg.Net)
	}
	key("payload", cfg.Payload.Name)
	key("conc", cfg.Concurrency)
	if k := cfg.conns(); cfg.Stack.Shared() && k < cfg.Concurrency {
		key("conns", k) // the callers share fewer connections than there are callers
	}
	if cfg.Pipeline > 1 {
		key("pipeline", cfg.Pipeline)
	}
	if cfg.Rate > 0 {
		key("rate", strconv.FormatFloat(cfg.Rate, 'g', -1, 64))
	}
	if workload != "" {
		key("workload", workload)
	}
	if dir != "" {
		key("dir", dir)
	}
	if d := cfg.Delay; d != nil {
		if d.Work > 0 {
			key("work", duration(d.Work))
			if d.Busy {
				n.Add("busy", "")
			}
		}
		if d.StallEvery > 0 {
			key("stall", duration(d.StallEvery)+":"+duration(d.StallFor))
		}
	}
	if m := cfg.MaxMessage; m > 0 && m != frame.DefaultMax {
		key("max-message", m)
	}
	if a, ok := cfg.Stack.(interface{ LogsIn() bool }); ok && a.LogsIn() {
		n.Add("auth", "")
	}
	if mutualTLS(cfg.TransportConfig) {
		key("tls", "mutual")
	}
	return n.String()
}

// duration writes d as time.Duration does, with "us" for "µs" so that
// names stay ASCII: 200us, 1.5ms, 1s.
func duration(d time.Duration) string { return strings.Replace(d.String(), "µs", "us", 1) }

// mutualTLS reports whether the TLS handshake authenticates the calling
// side too (a client certificate presented, or required by the in-process
// server): the one TLS setting that changes what a connection costs.
// Verifying the server against a CA or not costs the same.
func mutualTLS(c transports.Config) bool { return c.CertFile != "" || c.ClientCAFile != "" }

// workloadName is the workload's name when it is not the default, else "".
func (cfg *Config) workloadName() string {
	if w := cfg.workload().Name(); w != DefaultWorkload().Name() {
		return w
	}
	return ""
}

// workloadKey is the value of the name's workload= key, "" for none: a
// NameKeyer's own, else the workload's name unless it is the default.
func (cfg *Config) workloadKey() string {
	if k, ok := cfg.workload().(NameKeyer); ok {
		return k.NameKey(cfg)
	}
	return cfg.workloadName()
}
