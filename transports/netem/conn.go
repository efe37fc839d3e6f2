package netem

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/rpcbench/rpcbench/internal/precise"
)

// sendBuffer is how many bytes a connection holds in flight before a Write
// waits, like a socket's send buffer; as much as the pipe transport's.
const sendBuffer = 256 << 10

// linger bounds how long Close keeps delivering what was written before
// it: packets due later are dropped, and a peer that does not read gets
// as long again to take those delivered.
const linger = time.Second

// lossSegment is the packet size when the profile loses packets and sets
// no MTU: an Ethernet frame's payload, so that loss strikes segments as it
// does on a real link, not whole writes.
const lossSegment = 1500

// aLongTimeAgo is a deadline that has passed: it fails blocked calls now.
var aLongTimeAgo = time.Unix(1, 0)

// conn delays what its end sends as the network says (see the package
// doc): each Write is cut into packets of at most MTU bytes, each packet
// leaves at the bandwidth's pace and arrives when its link says (latency,
// jitter, retransmissions), in order, delivered to the inner connection by
// a goroutine the conn owns. Reads pass straight through, so the far end
// needs no wrapper to read; wrapping both ends delays both directions.
//
// Written here rather than used from grpc-go's benchmark/latency, whose
// figures (latency.Network) the profiles still are: golang.org/x/net's
// nettest.TestConn found that its connection is no net.Conn. Its Read
// sleeps until a packet is due ignoring deadlines and Close, a Read that
// times out inside a packet header loses the stream's framing (the next
// Read then sleeps on a garbage timestamp, for years), and concurrent
// Writes race on its send clock and interleave packets. Delaying on the
// sending side also needs no clock sync between the ends.
type conn struct {
	net.Conn
	profile Profile
	segment int // the largest packet; 0 means a Write is one packet

	wmu sync.Mutex // held by one Write at a time, so that a Write's packets stay in order

	mu       sync.Mutex // guards the fields below
	queue    []packet   // written, not yet delivered, in order
	queued   int        // bytes in queue
	sendEnd  time.Time  // when the last queued packet has left, at the bandwidth's pace
	lastDue  time.Time  // when the last queued packet arrives: no packet overtakes it
	link     *link      // when each packet arrives
	err      error      // why delivery stopped, once it has
	closed   bool
	giveUp   time.Time // set by Close: packets due later are dropped
	deadline time.Time // the write deadline

	wake    chan struct{} // a packet was queued, or the conn closed (capacity 1)
	space   chan struct{} // a packet was delivered, or delivery stopped (capacity 1)
	changed chan struct{} // the write deadline changed (capacity 1)
	quit    chan struct{} // closed by Close
	done    chan struct{} // closed when deliver returns
}

type packet struct {
	data []byte
	due  time.Time // when it reaches the far end
	// dead: every retransmission was lost; the connection fails when
	// it is due, as Linux's times out.
	dead bool
}

// newConn wraps inner in profile; stream numbers the connection's own
// random draws.
func newConn(inner net.Conn, profile Profile, stream uint64) *conn {
	segment := profile.MTU
	if segment <= 0 && (profile.Loss > 0 || profile.PartitionEvery > 0) {
		segment = lossSegment
	}
	c := &conn{
		Conn:    inner,
		profile: profile,
		segment: segment,
		link:    newLink(profile, stream),
		wake:    make(chan struct{}, 1),
		space:   make(chan struct{}, 1),
		changed: make(chan struct{}, 1),
		quit:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	go c.deliver()
	return c
}

// signal wakes one waiter on ch without blocking; waiters recheck state.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// timeoutError is a Write's deadline passing, as the net package reports it.
func timeoutError(op string, c *conn) error {
	return &net.OpError{Op: op, Net: "netem", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: os.ErrDeadlineExceeded}
}

func (c *conn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	n := 0
	for len(p) > 0 {
		size := len(p)
		if c.segment > 0 {
			size = min(size, c.segment)
		}
		if err := c.waitForSpace(size); err != nil {
			return n, err
		}
		c.mu.Lock()
		now := time.Now()
		if c.sendEnd.Before(now) {
			c.sendEnd = now
		}
		c.sendEnd = c.sendEnd.Add(c.transmit(size))
		due, ok := c.link.arrival(c.sendEnd)
		if due.Before(c.lastDue) {
			due = c.lastDue // in order: it waits behind the packet before
		}
		c.lastDue = due
		c.queue = append(c.queue, packet{data: append([]byte(nil), p[:size]...), due: due, dead: !ok})
		c.queued += size
		c.mu.Unlock()
		signal(c.wake)
		p = p[size:]
		n += size
	}
	return n, nil
}

// transmit is how long size bytes take to leave at the bandwidth.
func (c *conn) transmit(size int) time.Duration {
	if c.profile.Kbps <= 0 {
		return 0
	}
	return time.Duration(int64(size) * 8 * int64(time.Second) / (int64(c.profile.Kbps) * 1024))
}

// deliver writes each queued packet to the inner connection once it is
// due, until Close, then what is due before Close gives up; it owns the
// inner connection's write side. Its waits are measured ones: a packet
// late by Go's millisecond timer would add that to every latency.
func (c *conn) deliver() {
	defer close(c.done)
	timer := precise.NewTimer(time.Hour)
	defer timer.Stop()
	quit := c.quit
	for {
		c.mu.Lock()
		if len(c.queue) == 0 {
			closed := c.closed
			c.mu.Unlock()
			if closed {
				return
			}
			select {
			case <-c.wake:
			case <-quit:
				quit = nil // keep delivering what is queued
			}
			continue
		}
		pkt, giveUp := c.queue[0], c.giveUp
		c.mu.Unlock()
		if !giveUp.IsZero() && pkt.due.After(giveUp) {
			return // Close gave up on the rest
		}
		if wait := time.Until(pkt.due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C():
			case <-quit:
				quit = nil // Close set giveUp: look again
				continue
			}
		}
		var err error
		if pkt.dead {
			err = &net.OpError{Op: "write", Net: "netem", Source: c.LocalAddr(), Addr: c.RemoteAddr(),
				Err: fmt.Errorf("%d retransmissions lost: %w", maxRetries, syscall.ETIMEDOUT)}
		} else {
			_, err = c.Conn.Write(pkt.data)
		}
		c.mu.Lock()
		c.queue[0] = packet{}
		c.queue = c.queue[1:]
		c.queued -= len(pkt.data)
		if err != nil {
			c.err = err
			c.queue, c.queued = nil, 0
		}
		c.mu.Unlock()
		signal(c.space)
		if err != nil {
			if pkt.dead {
				c.Conn.Close() // as Linux resets a connection that timed out
			}
			return
		}
	}
}

// Close fails pending and later calls on this end at once, delivers what
// was written before it and is due within linger (as a socket's close
// does; a packet held up by a partition or a retransmission is dropped),
// bounded by linger again when the far end does not read, then closes the
// inner connection.
func (c *conn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return &net.OpError{Op: "close", Net: "netem", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: net.ErrClosed}
	}
	c.closed = true
	c.giveUp = time.Now().Add(linger)
	c.mu.Unlock()
	close(c.quit)
	c.Conn.SetReadDeadline(aLongTimeAgo) // ends a pending Read, which reports the close
	c.Conn.SetWriteDeadline(c.giveUp.Add(linger))
	<-c.done
	if err := c.Conn.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	// The connection beneath was already closed by its owner (a listener
	// shutting down) while this Close was flushing: it is closed, which is
	// all Close promises.
	return nil
}

func (c *conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil && c.isClosed() {
		return n, &net.OpError{Op: "read", Net: "netem", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: net.ErrClosed}
	}
	return n, err
}

func (c *conn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

func (c *conn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

func (c *conn) SetReadDeadline(t time.Time) error {
	if c.isClosed() {
		return net.ErrClosed // the inner read deadline now belongs to Close
	}
	return c.Conn.SetReadDeadline(t)
}

func (c *conn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	closed := c.closed
	c.deadline = t
	c.mu.Unlock()
	if closed {
		return net.ErrClosed
	}
	signal(c.changed)
	return nil
}
