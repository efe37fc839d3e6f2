package server

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"
)

// Defaults of the Server's limits; the Server's fields say what each bounds.
const (
	DefaultMaxCalls         = 128
	DefaultMaxConnBytes     = 16 << 20
	DefaultMaxBytesInFlight = 64 << 20
	DefaultMaxReplyBytes    = 32 << 20
	DefaultWriteTimeout     = time.Minute
)

// smallHold is what any connection may hold whatever the server-wide
// budget: a small call is never held up by others' large ones.
const smallHold = 64 << 10

// aheadMax is the most a connection that may not read is read ahead,
// to see its close: a few small requests.
const aheadMax = 4 << 10

// writeChunk is how much of a reply one write deadline covers: a reply
// that keeps moving is never cut, one that stops for the write timeout is.
const writeChunk = 256 << 10

// servedConn is a served connection as its codec sees it. It enforces what
// the Server promises about one connection, in the one place every byte
// passes: it stops reading while the connection has too many calls or
// bytes outstanding or the server's budget is spent (TCP backpressure then
// stops the client), closes the connection when a reply makes no progress
// for the write timeout or the client is silent for the idle timeout, and
// lets a shutdown end the connection between requests, never in the
// middle of one.
type servedConn struct {
	net.Conn
	s         *Server
	idle      time.Duration // read idle timeout; 0 for none
	writeIdle time.Duration // how long a reply may make no progress

	calls    atomic.Int64 // read and not yet answered
	answered atomic.Int64 // answered so far
	read     atomic.Int64 // bytes read, ever
	released atomic.Int64 // bytes of read calls that were answered, or dropped
	retained atomic.Int64 // bytes the codec keeps until the connection closes (Retain)

	mu       sync.Mutex // guards waiting, kicked, boundary, sizes, the read deadline, and Retain against Close
	waiting  bool       // between requests: in ReadRequestHeader, nothing read yet
	kicked   bool       // a drain set the read deadline in the past to end a wait
	boundary int64      // read at the end of the last request's body
	sizes    map[uint64]int64

	// The look-ahead: while the connection may not read (at its call
	// limit, or the budget spent), one read at a time goes on into ahead,
	// so that a client that closes is seen at once, and the calls it left
	// waiting (KV.Watch) end with it.
	probing    chan struct{} // closed when the look-ahead read running ends; nil when none runs
	ahead      []byte        // aheadMax bytes, once a look-ahead has run
	aheadStart int           // ahead[aheadStart:aheadEnd] is read, not yet given to the codec
	aheadEnd   int
	aheadErr   error // how the last look-ahead read ended, not yet returned

	drain     chan struct{} // closed when the server starts draining
	drainOnce sync.Once
	closed    chan struct{} // closed by Close
	closeOnce sync.Once
}

func newServedConn(s *Server, c net.Conn) *servedConn {
	sc := &servedConn{
		Conn:      c,
		s:         s,
		idle:      s.IdleTimeout,
		writeIdle: s.WriteTimeout,
		sizes:     make(map[uint64]int64),
		drain:     make(chan struct{}),
		closed:    make(chan struct{}),
	}
	if sc.writeIdle <= 0 {
		sc.writeIdle = s.IdleTimeout
	}
	if sc.writeIdle <= 0 {
		sc.writeIdle = DefaultWriteTimeout
	}
	return sc
}

// held is what the connection counts against the budget: bytes read
// whose calls are not answered yet.
func (c *servedConn) held() int64 { return c.read.Load() - c.released.Load() }

// beginRequest is called as net/rpc asks for the next request: from now
// until its first byte arrives, a drain may end the connection.
func (c *servedConn) beginRequest() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.draining() {
		return io.EOF
	}
	c.waiting = true
	return nil
}

// endHeader is called when a request's header has been read.
func (c *servedConn) endHeader() {
	c.mu.Lock()
	c.waiting = false
	c.mu.Unlock()
}

// endBody records the bytes of the call seq, read since the last one, to
// be released when it is answered.
func (c *servedConn) endBody(seq uint64) {
	c.mu.Lock()
	now := c.read.Load()
	c.sizes[seq] += now - c.boundary
	c.boundary = now
	c.mu.Unlock()
}

// settle releases the bytes read since the last request without a call
// to answer them: the login codec answers some requests itself.
func (c *servedConn) settle() {
	c.mu.Lock()
	now := c.read.Load()
	n := now - c.boundary
	c.boundary = now
	c.mu.Unlock()
	c.release(n)
}

// answered releases the bytes of the call seq.
func (c *servedConn) answer(seq uint64) {
	c.mu.Lock()
	n := c.sizes[seq]
	delete(c.sizes, seq)
	c.mu.Unlock()
	c.release(n)
}

// release gives back n bytes, and wakes connections waiting to read even
// when n is 0: an answered call also frees a place under the cap on calls.
func (c *servedConn) release(n int64) {
	if n != 0 {
		c.released.Add(n)
	}
	c.s.budget.release(n)
}

func (c *servedConn) draining() bool {
	select {
	case <-c.drain:
		return true
	default:
		return false
	}
}

// startDrain ends the connection at once if it waits between requests,
// and otherwise at the end of the request it is reading.
func (c *servedConn) startDrain() {
	c.drainOnce.Do(func() { close(c.drain) })
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.waiting {
		c.kicked = true
		c.Conn.SetReadDeadline(time.Unix(1, 0))
	}
}

// lookAhead starts a read into the look-ahead buffer unless one runs, it
// is full, or the last one's error is still to be returned, and returns a
// channel closed when the read running ends (nil when none runs).
func (c *servedConn) lookAhead() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.probing != nil || c.aheadEnd >= aheadMax || c.aheadErr != nil {
		return c.probing
	}
	if !c.kicked {
		// A connection waiting for its calls' replies is not idle: the
		// idle deadline of the last read must not end this one.
		c.Conn.SetReadDeadline(time.Time{})
	}
	done := make(chan struct{})
	c.probing = done
	if c.ahead == nil {
		c.ahead = make([]byte, aheadMax)
	}
	// Only this read writes past aheadEnd; readConn reads before it.
	buf := c.ahead[c.aheadEnd:]
	go func() {
		defer close(done)
		n, err := c.Conn.Read(buf)
		c.mu.Lock()
		c.aheadEnd += n
		if err != nil {
			c.aheadErr = err
		}
		c.probing = nil
		c.mu.Unlock()
	}()
	return done
}

// closedByPeer returns the error that ended the look-ahead read when it
// means the client is gone (not a deadline, which Read handles).
func (c *servedConn) closedByPeer() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.aheadErr == nil || errors.Is(c.aheadErr, os.ErrDeadlineExceeded) {
		return nil
	}
	return c.aheadErr
}

// readConn gives what the look-ahead holds, or else waits for the read it
// has running (whose deadline is Read's, set before), or else reads the
// connection.
func (c *servedConn) readConn(p []byte) (int, error) {
	for {
		c.mu.Lock()
		if c.aheadStart < c.aheadEnd {
			n := copy(p, c.ahead[c.aheadStart:c.aheadEnd])
			c.aheadStart += n
			c.mu.Unlock()
			return n, nil
		}
		if probing := c.probing; probing != nil {
			c.mu.Unlock()
			<-probing
			continue
		}
		c.aheadStart, c.aheadEnd = 0, 0
		err := c.aheadErr
		c.aheadErr = nil
		c.mu.Unlock()
		if err != nil {
			return 0, err
		}
		return c.Conn.Read(p)
	}
}

func (c *servedConn) Read(p []byte) (int, error) {
	if err := c.s.budget.waitToRead(c); err != nil {
		return 0, err
	}
	answered := c.answered.Load()
	for {
		c.mu.Lock()
		if c.waiting && c.draining() {
			c.mu.Unlock()
			return 0, io.EOF
		}
		if c.idle > 0 && !c.kicked {
			c.Conn.SetReadDeadline(time.Now().Add(c.idle))
		}
		c.mu.Unlock()
		n, err := c.readConn(p)
		if n > 0 {
			c.read.Add(int64(n))
			c.s.budget.use(int64(n))
		}
		c.mu.Lock()
		kicked := c.kicked
		if n > 0 {
			c.waiting = false
			if kicked {
				// The request arrived as the drain began: let it finish.
				c.kicked = false
				c.Conn.SetReadDeadline(time.Time{})
			}
		}
		c.mu.Unlock()
		if n > 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
			return n, err
		}
		if kicked {
			return 0, io.EOF // drained between requests
		}
		// A reply sent during this wait restarts it, which closes the
		// connection between one and two timeouts after that reply.
		if c.calls.Load() == 0 && c.answered.Load() == answered {
			return 0, fmt.Errorf("silent for %v: %w", c.idle, err)
		}
		answered = c.answered.Load()
	}
}

// Write writes a reply in chunks, each with its own deadline, so that a
// reply is cut only when the client stops reading it for the write
// timeout; the connection is then closed, which frees the calls queued
// behind it and the bytes they hold.
func (c *servedConn) Write(p []byte) (int, error) {
	var n int
	for len(p) > 0 {
		chunk := p[:min(len(p), writeChunk)]
		c.Conn.SetWriteDeadline(time.Now().Add(c.writeIdle))
		m, err := c.Conn.Write(chunk)
		n += m
		p = p[m:]
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				err = fmt.Errorf("reply not read for %v: %w", c.writeIdle, err)
			}
			c.Close()
			return n, err
		}
	}
	return n, nil
}

// Retain counts n bytes that the connection's codec keeps until the
// connection closes (codecs.Retainer): gob's type definitions. A
// connection may keep up to the per-connection limit (MaxConnBytes), and
// all connections together up to the server's (MaxBytesInFlight), apart
// from the budget for calls in flight, which this state would otherwise
// exhaust for good. Past either, it fails and keeps nothing.
func (c *servedConn) Retain(n int64) error {
	c.mu.Lock() // against Close giving the bytes back
	defer c.mu.Unlock()
	select {
	case <-c.closed:
		return net.ErrClosed
	default:
	}
	if kept := c.retained.Load() + n; kept > c.s.budget.connLimit {
		return fmt.Errorf("the connection would keep %d bytes of codec state, past its limit of %d", kept, c.s.budget.connLimit)
	}
	if all := c.s.retained.Add(n); all > c.s.budget.limit {
		c.s.retained.Add(-n)
		return fmt.Errorf("the server would keep %d bytes of codec state for its connections, past its limit of %d", all, c.s.budget.limit)
	}
	c.retained.Add(n)
	return nil
}

// Close closes the connection and gives back what it held of the budget.
func (c *servedConn) Close() error {
	err := net.ErrClosed
	c.closeOnce.Do(func() {
		err = c.Conn.Close()
		close(c.closed)
		c.giveBack()
	})
	return err
}

// giveBack returns what the connection holds of the server's budget: at
// its close, or before, once it reads no more requests (linger).
func (c *servedConn) giveBack() {
	c.mu.Lock()
	clear(c.sizes)
	c.s.retained.Add(-c.retained.Swap(0))
	c.mu.Unlock()
	c.release(c.held())
}

// budget is the server's allowance of request bytes in flight: read from
// the connections and not yet answered.
type budget struct {
	limit        int64  // server-wide
	connLimit    int64  // per connection, while it has calls to answer
	maxCalls     int64  // per connection
	onHighWater  func() // called (in a goroutine of the Server's) when a large budget drains
	highWaterMin int64

	used atomic.Int64
	peak atomic.Int64 // most used since it was last empty

	waiters atomic.Int64
	mu      sync.Mutex    // guards owner and wake
	owner   *servedConn   // the one connection allowed past limit, to finish its request
	wake    chan struct{} // closed when bytes are released; nil when no one waits
}

func (b *budget) use(n int64) {
	if u := b.used.Add(n); u > b.peak.Load() {
		b.peak.Store(u)
	}
}

func (b *budget) release(n int64) {
	if n == 0 {
		// nothing given back; only the waiters need to look again
	} else if u := b.used.Add(-n); u == 0 && b.onHighWater != nil {
		if p := b.peak.Swap(0); p >= b.highWaterMin {
			b.onHighWater()
		}
	}
	if b.waiters.Load() > 0 {
		b.mu.Lock()
		wakeAll(&b.wake)
		b.mu.Unlock()
	}
}

// fits is the fast check, without the lock.
func (b *budget) fits(c *servedConn) bool {
	held := c.held()
	return c.calls.Load() < b.maxCalls && held < b.connLimit && (held < smallHold || b.used.Load() < b.limit)
}

// mayRead decides with b.mu held. A connection with calls to answer waits
// for their replies to free room; one with none is reading a request
// that only its own bytes can finish, so the first such connection past
// the limit may go on (the owner) until what it holds is answered, and
// the others wait for it: no connection waits on another that waits on
// it, and the server holds at most the limit and one request.
func (b *budget) mayRead(c *servedConn) bool {
	calls := c.calls.Load()
	switch {
	case calls >= b.maxCalls:
		return false
	case calls > 0 && c.held() >= b.connLimit:
		return false
	case b.used.Load() < b.limit:
		return true
	case c.held() < smallHold:
		// Small calls pass even with the budget spent, so that
		// connections holding it (clients that read no replies, until
		// the write timeout closes them) cannot starve everyone else.
		return true
	case calls > 0:
		return false
	case b.owner != nil && b.owner != c && b.owner.held() > 0:
		return false // its request past the limit is not answered yet
	}
	b.owner = c
	return true
}

// waitToRead blocks until c may read, c closes (net.ErrClosed), or, if c
// waits between requests, the server drains (io.EOF).
func (b *budget) waitToRead(c *servedConn) error {
	if b.fits(c) {
		return nil
	}
	b.waiters.Add(1)
	defer b.waiters.Add(-1)
	drain := c.drain
	for {
		b.mu.Lock()
		if b.mayRead(c) {
			b.mu.Unlock()
			return nil
		}
		wake := waitChan(&b.wake)
		b.mu.Unlock()
		if err := c.closedByPeer(); err != nil {
			return err
		}
		select {
		case <-wake:
		case <-c.lookAhead():
		case <-c.closed:
			return net.ErrClosed
		case <-drain:
			c.mu.Lock()
			waiting := c.waiting
			c.mu.Unlock()
			if waiting {
				return io.EOF
			}
			drain = nil // mid-request: it finishes
		}
	}
}

// replyBudget is the server's allowance of reply bytes being encoded and
// written: a codec holds a reply's whole encoding until the client has
// read it, so clients that do not read would otherwise make the server
// hold one reply each, however large.
type replyBudget struct {
	limit int64

	mu   sync.Mutex    // guards used and wake
	used int64         // estimated bytes of the replies admitted and not yet written
	wake chan struct{} // closed when bytes are released; nil when no one waits
}

// replySize estimates what body encodes to: its protobuf size, which
// every codec's encoding follows within a small factor.
func replySize(body any) int64 {
	if m, ok := body.(proto.Message); ok {
		return int64(proto.Size(m))
	}
	return 0
}

// acquire admits a reply of n bytes: a small one at once, a large one
// while the budget is not spent (it may take it past, by itself). It
// fails when closed is closed first.
func (b *replyBudget) acquire(n int64, closed <-chan struct{}) error {
	for {
		b.mu.Lock()
		if n < smallHold || b.used < b.limit {
			b.used += n
			b.mu.Unlock()
			return nil
		}
		wake := waitChan(&b.wake)
		b.mu.Unlock()
		select {
		case <-wake:
		case <-closed:
			return net.ErrClosed
		}
	}
}

func (b *replyBudget) release(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= n
	wakeAll(&b.wake)
}

// waitChan returns *ch, made if nil, for waiters to wait on until
// wakeAll; the caller holds the lock that guards *ch.
func waitChan(ch *chan struct{}) chan struct{} {
	if *ch == nil {
		*ch = make(chan struct{})
	}
	return *ch
}

// wakeAll wakes every waiter of *ch; the caller holds the lock that
// guards *ch.
func wakeAll(ch *chan struct{}) {
	if *ch != nil {
		close(*ch)
		*ch = nil
	}
}
