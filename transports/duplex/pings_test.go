package duplex

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"
)

func frame(typ uint8, flags uint16, length uint32, body []byte) []byte {
	h := make([]byte, headerSize, headerSize+len(body))
	h[1] = typ
	binary.BigEndian.PutUint16(h[2:4], flags)
	binary.BigEndian.PutUint32(h[8:12], length)
	return append(h, body...)
}

// TestPingConnDropsPingsPastTheRate writes 100 pings, a data frame whose
// body looks like pings, and a ping answer, in pieces of 5 bytes: the
// session reads pingsPerSecond pings (the clock stands still), the data
// frame whole and the answer.
func TestPingConnDropsPingsPastTheRate(t *testing.T) {
	var in, want []byte
	for i := range 100 {
		f := frame(typePing, flagSYN, uint32(i), nil)
		in = append(in, f...)
		if i < pingsPerSecond {
			want = append(want, f...)
		}
	}
	body := bytes.Repeat(frame(typePing, flagSYN, 7, nil), 3)
	tail := append(frame(typeData, 0, uint32(len(body)), body), frame(typePing, 2, 9, nil)...)
	in, want = append(in, tail...), append(want, tail...)

	a, b := net.Pipe()
	defer a.Close()
	go func() {
		for p := in; len(p) > 0; p = p[min(5, len(p)):] {
			b.Write(p[:min(5, len(p))])
		}
		b.Close()
	}()
	p := newPingConn(a)
	p.now = func() time.Time { return time.Unix(1, 0) }
	got, err := io.ReadAll(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes, want %d: the first %d pings, the data frame and the answer", len(got), len(want), pingsPerSecond)
	}
}

// FuzzFramesScan checks that following any bytes, in two pieces, keeping
// every frame, gives them back unchanged.
func FuzzFramesScan(f *testing.F) {
	f.Add(frame(typeData, 0, 3, []byte("abc")), 5)
	f.Add(frame(typePing, flagSYN, 1, nil), 12)
	f.Fuzz(func(t *testing.T, b []byte, cut int) {
		cut = min(max(cut, 0), len(b))
		var fr frames
		keep := func([]byte) bool { return true }
		out := fr.scan(b[:cut], nil, keep)
		out = fr.scan(b[cut:], out, keep)
		// A header cut short at the end is held back, not lost.
		if held := len(b) - len(out); held != fr.n || !bytes.Equal(out, b[:len(out)]) {
			t.Fatalf("scan gave back %d of %d bytes (holding %d of a header)", len(out), len(b), fr.n)
		}
	})
}
