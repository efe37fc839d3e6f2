package duplex

import (
	"encoding/binary"
	"net"
	"time"
)

// pingsPerSecond is how many of the other side's pings a session answers
// a second; the rest are dropped. yamux's keep-alive sends one every 30s.
const pingsPerSecond = 8

// The parts of yamux's wire format (its spec.md) that pingConn reads:
// every frame is a 12-byte header (version, type, flags, stream id,
// length); only a data frame has a body, of length bytes; a ping asking
// for an answer has the SYN flag.
const (
	headerSize = 12
	typeData   = 0
	typePing   = 2
	flagSYN    = 1
)

// pingConn is the connection under a yamux session, with the other
// side's pings beyond pingsPerSecond a second taken out of what the
// session reads. yamux v0.1.2 (the latest) answers every ping from a
// goroutine of its own, which waits up to its write timeout (10s) to
// send: a peer that pings without reading would make it start one
// goroutine per ping, a million in seconds; with pingConn under it, at
// most pingsPerSecond × 10 wait at once. The pings that pass are answered
// by yamux in order with the frames around them, which a peer's
// keep-alive relies on.
type pingConn struct {
	net.Conn

	in    []byte // what the last Read read
	buf   []byte // it, the dropped pings taken out
	out   []byte // what the session has still to read of buf
	err   error  // the last Read's error, once out is read
	read  frames // where the bytes read stand in their frames
	now   func() time.Time
	since time.Time // the start of the second pings are counted in
	pings int       // pings passed in it
}

func newPingConn(c net.Conn) *pingConn {
	return &pingConn{Conn: c, in: make([]byte, 32<<10), now: time.Now}
}

func (p *pingConn) Read(b []byte) (int, error) {
	for len(p.out) == 0 && p.err == nil {
		n, err := p.Conn.Read(p.in)
		p.buf = p.read.scan(p.in[:n], p.buf[:0], p.keep)
		p.out, p.err = p.buf, err
	}
	if len(p.out) == 0 {
		return 0, p.err
	}
	n := copy(b, p.out)
	p.out = p.out[n:]
	return n, nil
}

// keep passes every frame to the session but the other side's pings past
// pingsPerSecond in the current second.
func (p *pingConn) keep(h []byte) bool {
	if h[1] != typePing || binary.BigEndian.Uint16(h[2:4])&flagSYN == 0 {
		return true
	}
	if now := p.now(); now.Sub(p.since) >= time.Second {
		p.since, p.pings = now, 0
	}
	p.pings++
	return p.pings <= pingsPerSecond
}

// frames follows a stream of yamux frames as its bytes pass.
type frames struct {
	hdr  [headerSize]byte
	n    int    // bytes of hdr read so far
	body uint32 // bytes left of the current data frame's body
}

// scan follows b and returns out with b's bytes appended, less the
// headers that keep refuses (only frames without a body may be refused).
func (f *frames) scan(b, out []byte, keep func(h []byte) bool) []byte {
	for len(b) > 0 {
		if f.body > 0 {
			k := min(uint32(len(b)), f.body)
			out = append(out, b[:k]...)
			f.body -= k
			b = b[k:]
			continue
		}
		k := copy(f.hdr[f.n:], b)
		f.n += k
		b = b[k:]
		if f.n < headerSize {
			break
		}
		f.n = 0
		if f.hdr[1] == typeData {
			f.body = binary.BigEndian.Uint32(f.hdr[8:12])
		}
		if f.body > 0 || keep(f.hdr[:]) {
			out = append(out, f.hdr[:]...)
		}
	}
	return out
}
