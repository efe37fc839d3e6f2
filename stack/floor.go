package stack

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/rpcbench/rpcbench/codecs/frame"
	"github.com/rpcbench/rpcbench/measure"
	"github.com/rpcbench/rpcbench/payload"
	"github.com/rpcbench/rpcbench/service"
)

// Floor echoes the payload's protobuf bytes in length-prefixed frames with
// no RPC layer at all: one caller per connection, the kernel's limit.
type Floor struct{}

func (Floor) ID() measure.StackID { return measure.FloorID() }
func (Floor) Shared() bool        { return false }

func (Floor) Serve(l net.Listener, d *service.Delay) Server { return serveEcho(l, d) }

func (Floor) NewClient(conn net.Conn, p payload.Payload) (Client, error) {
	msg, err := floorBytes(p)
	if err != nil {
		return nil, err
	}
	req := append(frame.AppendPrefix(nil, len(msg)), msg...)
	return &floorClient{conn: conn, r: bufio.NewReader(conn), req: req, msg: msg}, nil
}

type floorClient struct {
	conn net.Conn
	r    *bufio.Reader
	req  []byte // length prefix, then msg
	msg  []byte
	in   []byte // reused reply buffer
}

func (c *floorClient) Call(_ context.Context, check bool) error {
	if _, err := c.conn.Write(c.req); err != nil {
		return err
	}
	var err error
	if c.in, err = frame.ReadPrefixed(c.r, c.in, frame.DefaultMax); err != nil {
		return err
	}
	if check && !bytes.Equal(c.in, c.msg) {
		return fmt.Errorf("%w: floor: echo of %d bytes returned %d different bytes", payload.ErrWrongReply, len(c.msg), len(c.in))
	}
	return nil
}

func (c *floorClient) Close() error { return c.conn.Close() }

// FloorMux is the floor with several callers sharing each connection: a
// request id in each frame, one writer lock and one reader goroutine per
// connection, the least any request/response multiplexer can cost.
type FloorMux struct{}

func (FloorMux) ID() measure.StackID { return measure.FloorMuxID() }
func (FloorMux) Shared() bool        { return true }

func (FloorMux) Serve(l net.Listener, d *service.Delay) Server { return serveEcho(l, d) }

func (FloorMux) NewClient(conn net.Conn, p payload.Payload) (Client, error) {
	msg, err := floorBytes(p)
	if err != nil {
		return nil, err
	}
	c := &muxClient{conn: conn, msg: msg, pending: make(map[uint64]*muxCall), done: make(chan struct{})}
	go c.readLoop()
	return c, nil
}

type muxClient struct {
	conn net.Conn
	msg  []byte
	done chan struct{} // closed when readLoop ends

	wmu  sync.Mutex // guards wbuf and writes to conn
	wbuf []byte

	mu      sync.Mutex // guards pending, nextID and err
	pending map[uint64]*muxCall
	nextID  uint64
	err     error
}

// muxCall is one call waiting for its reply. A plain Call's are pooled,
// each with a channel of its own, so that a call costs no allocation; a
// pipeline's are its slots, all delivered on the pipeline's one channel.
type muxCall struct {
	reply []byte
	err   error
	done  chan *muxCall // receives the call when its reply (or failure) is in
	slot  int           // in its pipeline
}

var muxCalls = sync.Pool{New: func() any {
	c := &muxCall{done: make(chan *muxCall, 1)}
	return c
}}

func (c *muxClient) Call(_ context.Context, check bool) error {
	call := muxCalls.Get().(*muxCall)
	c.send(call)
	<-call.done
	err := c.verify(call, check)
	muxCalls.Put(call)
	return err
}

// send registers call and writes its request; a failure is delivered on
// call.done like a reply.
func (c *muxClient) send(call *muxCall) {
	c.mu.Lock()
	if c.err != nil {
		call.err = c.err
		c.mu.Unlock()
		call.done <- call
		return
	}
	id := c.nextID
	c.nextID++
	c.pending[id] = call
	c.mu.Unlock()

	c.wmu.Lock()
	c.wbuf = frame.AppendPrefix(c.wbuf[:0], 8+len(c.msg))
	c.wbuf = binary.BigEndian.AppendUint64(c.wbuf, id)
	c.wbuf = append(c.wbuf, c.msg...)
	_, err := c.conn.Write(c.wbuf)
	c.wmu.Unlock()
	if err != nil {
		c.conn.Close() // readLoop fails the call
	}
}

func (c *muxClient) verify(call *muxCall, check bool) error {
	if call.err == nil && check && !bytes.Equal(call.reply, c.msg) {
		return fmt.Errorf("%w: floor-mux: echo of %d bytes returned %d different bytes", payload.ErrWrongReply, len(c.msg), len(call.reply))
	}
	return call.err
}

// Pipeline keeps depth calls in flight from one goroutine as net/rpc's
// Client.Go does: Start writes a request with the next id, the read loop
// delivers each reply on the pipeline's one channel, Finish takes it. No
// goroutine is made per call.
func (c *muxClient) Pipeline(depth int) Pipeline {
	p := &muxPipeline{c: c, done: make(chan *muxCall, depth), calls: make([]*muxCall, depth), check: make([]bool, depth)}
	for k := range p.calls {
		p.calls[k] = &muxCall{done: p.done, slot: k}
	}
	return p
}

type muxPipeline struct {
	c     *muxClient
	done  chan *muxCall // every slot's replies
	calls []*muxCall    // by slot
	check []bool        // by slot
}

func (p *muxPipeline) Start(slot int, check bool) {
	p.check[slot] = check
	p.calls[slot].err = nil
	p.c.send(p.calls[slot])
}

func (p *muxPipeline) Finish(wake <-chan time.Time, stop <-chan struct{}) (int, error, bool) {
	select {
	case call := <-p.done:
		return call.slot, p.c.verify(call, p.check[call.slot]), true
	case <-wake:
	case <-stop:
	}
	return 0, nil, false
}

func (p *muxPipeline) Close() {}

func (c *muxClient) readLoop() {
	defer close(c.done)
	r := bufio.NewReader(c.conn)
	var buf []byte
	var err error
	for {
		if buf, err = frame.ReadPrefixed(r, buf, frame.DefaultMax); err != nil {
			break
		}
		if len(buf) < 8 {
			err = fmt.Errorf("floor-mux: frame of %d bytes has no request id", len(buf))
			break
		}
		id := binary.BigEndian.Uint64(buf)
		c.mu.Lock()
		call := c.pending[id]
		delete(c.pending, id)
		c.mu.Unlock()
		if call == nil {
			err = fmt.Errorf("floor-mux: reply to unknown request %d", id)
			break
		}
		call.reply = append(call.reply[:0], buf[8:]...)
		call.err = nil
		call.done <- call
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	c.mu.Lock()
	c.err = err
	for id, call := range c.pending {
		delete(c.pending, id)
		call.err = err
		call.done <- call
	}
	c.mu.Unlock()
	c.conn.Close()
}

func (c *muxClient) Close() error {
	err := c.conn.Close()
	<-c.done
	return err
}

// floorBytes is what the floor echoes for p: its argument's protobuf bytes.
func floorBytes(p payload.Payload) ([]byte, error) {
	m, ok := p.Args.(proto.Message)
	if !ok {
		return nil, fmt.Errorf("floor: payload %s has no protobuf argument", p.Name)
	}
	return proto.Marshal(m)
}

// serveEcho echoes every length-prefixed frame on every connection l
// yields, after the service's delay, until closed.
func serveEcho(l net.Listener, d *service.Delay) Server {
	return ServeEach(l, func(conn net.Conn) { echo(conn, d) })
}

// ServeEach serves every connection l yields with serve, each in a
// goroutine of its own, until the returned Server is closed; a connection
// is closed when serve returns. Close stops accepting, closes every
// connection and waits for each serve to return.
func ServeEach(l net.Listener, serve func(net.Conn)) Server {
	var wg sync.WaitGroup
	var mu sync.Mutex // guards conns
	conns := make(map[net.Conn]struct{})
	wg.Go(func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[conn] = struct{}{}
			mu.Unlock()
			wg.Go(func() {
				serve(conn)
				mu.Lock()
				delete(conns, conn)
				mu.Unlock()
				conn.Close()
			})
		}
	})
	return closer(func() error {
		err := l.Close()
		mu.Lock()
		for conn := range conns {
			conn.Close()
		}
		mu.Unlock()
		wg.Wait()
		return err
	})
}

func echo(conn net.Conn, d *service.Delay) {
	r := bufio.NewReader(conn)
	var in, out []byte
	var err error
	for {
		if in, err = frame.ReadPrefixed(r, in, frame.DefaultMax); err != nil {
			return
		}
		d.Wait()
		out = append(frame.AppendPrefix(out[:0], len(in)), in...)
		if _, err := conn.Write(out); err != nil {
			return
		}
	}
}
