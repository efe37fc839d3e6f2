package stack

import (
	"context"
	"sync"
	"time"
)

// Pipelined returns a pipeline over clients that make one call at a time:
// slot k calls through clients[k]. For a stack that cannot share a
// connection each slot has a client (and connection) of its own, which is
// how the floor, Thrift and a gRPC stream keep several calls in flight;
// for a shared one (unary gRPC) the slots may share one client.
//
// With one slot the call is made in Finish, on the caller's goroutine.
// With more, each slot has one goroutine for the pipeline's life that
// makes the slot's calls: a blocking client cannot do otherwise.
func Pipelined(clients []Client) Pipeline {
	if len(clients) == 1 {
		return &syncPipeline{c: clients[0]}
	}
	p := &slotPipeline{done: make(chan slotResult, len(clients))}
	for k, c := range clients {
		start := make(chan bool, 1)
		p.start = append(p.start, start)
		p.wg.Go(func() {
			for check := range start {
				p.done <- slotResult{k, c.Call(context.Background(), check)}
			}
		})
	}
	return p
}

// syncPipeline is one slot: Start notes the call, Finish makes it.
type syncPipeline struct {
	c       Client
	pending bool
	check   bool
}

func (p *syncPipeline) Start(_ int, check bool) { p.pending, p.check = true, check }

func (p *syncPipeline) Finish(wake <-chan time.Time, stop <-chan struct{}) (int, error, bool) {
	if !p.pending {
		select {
		case <-wake:
		case <-stop:
		}
		return 0, nil, false
	}
	p.pending = false
	return 0, p.c.Call(context.Background(), p.check), true
}

func (p *syncPipeline) Close() {}

type slotResult struct {
	slot int
	err  error
}

// slotPipeline runs each slot's calls on a goroutine of its own.
type slotPipeline struct {
	start []chan bool     // slot k's goroutine calls once per value
	done  chan slotResult // capacity: one per slot
	wg    sync.WaitGroup
}

func (p *slotPipeline) Start(slot int, check bool) { p.start[slot] <- check }

func (p *slotPipeline) Finish(wake <-chan time.Time, stop <-chan struct{}) (int, error, bool) {
	select {
	case r := <-p.done:
		return r.slot, r.err, true
	case <-wake:
	case <-stop:
	}
	return 0, nil, false
}

// Close ends the slots' goroutines once their calls are done; the caller
// has finished every call it started before closing.
func (p *slotPipeline) Close() {
	for _, s := range p.start {
		close(s)
	}
	p.wg.Wait()
}
