package harness

import (
	"fmt"
	"slices"

	"github.com/rpcbench/rpcbench/measure"
	"github.com/rpcbench/rpcbench/payload"
	"github.com/rpcbench/rpcbench/stack"
	"github.com/rpcbench/rpcbench/transports"
)

// WatchRate is the watch workload's Sets/s when a plan gives no rate.
const WatchRate = 1000

// A Plan is what a run asks for, with a list wherever its flags take one.
// Expand crosses the lists into the configurations to measure.
type Plan struct {
	// Base holds what every configuration shares (Conns, Pipeline, Rate,
	// Duration, Calls, Warmup, Timeout, Delay, CheckEvery, MaxMessage,
	// External); Expand sets the rest.
	Base        Config
	Stacks      []stack.Stack
	Payloads    []payload.Payload
	Concurrency []int
	// Transports are the transports' names; Link makes each one for a
	// stack, whose short name it is given (it names the http transport's
	// path).
	Transports []string
	Link       func(transport, codec string) (Link, error)
	// MaxInflight, when positive, sets each configuration's Pipeline to
	// as many calls per caller as keep MaxInflight calls in flight.
	MaxInflight int
	// Workloads are crossed with the other lists; a stack a workload
	// cannot run on is left out, with a note. A watch workload's callers
	// are Watchers, and its rate Base.Rate or, without one, WatchRate.
	Workloads []Workload
	Watchers  int
	// Rates, when there are two or more, repeat every configuration at
	// each rate, rate by rate, so that the table reads as a load curve.
	Rates []float64
}

// A Link is how a configuration's calls travel: the transport, wrapped
// in its network profile if any, where it connects, and the profile's
// name for results ("" for none).
type Link struct {
	Transport transports.Transport
	Config    transports.Config
	Net       string
}

// Expand returns the plan's configurations, payload by payload, then
// callers, transport, stack and workload, with the notes that say which
// stacks a workload left out.
func (p Plan) Expand() ([]Config, []string, error) {
	var cfgs []Config
	for _, pl := range p.Payloads {
		for _, conc := range p.Concurrency {
			depth := p.Base.Pipeline
			if p.MaxInflight > 0 {
				depth = (p.MaxInflight + conc - 1) / conc
			}
			for _, tname := range p.Transports {
				for _, s := range withFloorMux(p.Stacks, conc*depth > p.Base.Conns) {
					link, err := p.Link(tname, s.ID().Short())
					if err != nil {
						return nil, nil, err
					}
					if c, ok := s.(stack.Codec); ok {
						link.Config.Token = c.Token // reverse: workers must prove they hold it too
					}
					cfg := p.Base
					cfg.Stack, cfg.Transport, cfg.TransportConfig, cfg.Net = s, link.Transport, link.Config, link.Net
					cfg.Payload, cfg.Concurrency, cfg.Pipeline = pl, conc, depth
					cfgs = append(cfgs, cfg)
				}
			}
		}
	}
	cfgs, notes := p.withWorkloads(cfgs)
	return p.atRates(cfgs), notes, nil
}

// withFloorMux adds the multiplexed floor when callers share connections
// and the plain floor is measured, so that the framework's own hand-offs
// can be told apart from the codec's work.
func withFloorMux(stacks []stack.Stack, shared bool) []stack.Stack {
	hasFloor := slices.ContainsFunc(stacks, func(s stack.Stack) bool { return s.ID() == measure.FloorID() })
	hasMux := slices.ContainsFunc(stacks, func(s stack.Stack) bool { return s.ID() == measure.FloorMuxID() })
	if shared && hasFloor && !hasMux {
		return append(slices.Clip(stacks), stack.FloorMux{})
	}
	return stacks
}

// withWorkloads gives each configuration every workload of the plan,
// leaving out the stacks a workload cannot run on, each said once in a
// note, and configurations whose names another already has (watch takes
// its callers from Watchers, whatever Concurrency says).
func (p Plan) withWorkloads(cfgs []Config) (out []Config, notes []string) {
	seen := make(map[string]bool)
	for _, wl := range p.Workloads {
		for _, cfg := range cfgs {
			cfg.Workload = wl
			if err := Supports(wl, cfg.Stack); err != nil {
				if note := fmt.Sprintf("workload %s: %s: left out: %v", wl.Name(), cfg.Stack.ID(), err); !slices.Contains(notes, note) {
					notes = append(notes, note)
				}
				continue
			}
			if a, ok := wl.(Adjuster); ok {
				a.Adjust(&cfg, p)
			}
			if name := cfg.Name(); !seen[name] {
				seen[name] = true
				out = append(out, cfg)
			}
		}
	}
	return out, notes
}

// atRates repeats cfgs at each of the plan's rates, when it has several.
func (p Plan) atRates(cfgs []Config) []Config {
	if len(p.Rates) < 2 {
		return cfgs
	}
	out := make([]Config, 0, len(cfgs)*len(p.Rates))
	for _, rate := range p.Rates {
		for _, c := range cfgs {
			c.Rate = rate
			out = append(out, c)
		}
	}
	return out
}
