package attack_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/rpc"
	"testing"
	"time"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/internal/poll"
	"github.com/rpcbench/rpcbench/service"
)

// idleRSSAfterLargeCall is the most resident memory a server may keep
// while the connection that carried one 60 MiB Echo sits idle: its idle
// size (~18 MiB) and some slack, far below the call's own size. Measured
// on this test: 153 MiB while gob's encoder kept its buffer and its
// reader the request's body, 93 MiB with the encoder renewed, 24 MiB
// with both.
const idleRSSAfterLargeCall = 48 << 20

// TestGobIdleConnectionGivesBackALargeCall makes one 60 MiB Echo over
// gob and leaves the connection open and idle: the server's resident
// memory must come back down, as a connection that once carried a large
// reply must not keep buffers of its size (encoding/gob's decoder and
// encoder keep theirs at the size of the largest message for their life,
// so the codec renews them).
// Memory goes back to the kernel at the runtime's pace after a forced
// collection, so the test waits for it, up to a bound.
func TestGobIdleConnectionGivesBackALargeCall(t *testing.T) {
	codec, err := codecs.Lookup("gob")
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, nil, "gob", "--allow-gc")
	defer srv.shutdown(t)
	conn, err := net.DialTimeout("tcp", srv.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	client := rpc.NewClientWithCodec(codec.NewClientCodec(conn))
	defer client.Close()
	payload := bytes.Repeat([]byte("p"), 60<<20)
	var reply service.EchoReply
	conn.SetDeadline(time.Now().Add(60 * time.Second))
	if err := client.Call("Echo.Echo", &service.EchoRequest{Payload: payload}, &reply); err != nil {
		t.Fatal(err)
	}
	if len(reply.Payload) != len(payload) {
		t.Fatalf("echo of %d bytes came back as %d", len(payload), len(reply.Payload))
	}
	payload, reply.Payload = nil, nil
	var rss int64
	err = poll.Within(30*time.Second, func() error {
		out, err := srv.call(nil, "Stats.Read", `{"gc":true}`)
		if err != nil {
			return err
		}
		var stats struct {
			RSS int64 `json:"rss_bytes"`
		}
		if err := json.Unmarshal([]byte(out), &stats); err != nil {
			return fmt.Errorf("Stats.Read printed %q: %v", out, err)
		}
		if rss = stats.RSS; rss > idleRSSAfterLargeCall {
			return fmt.Errorf("RSS %d MiB", rss>>20)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("while the connection that carried a 60 MiB Echo is idle: %v; want at most %d MiB", err, idleRSSAfterLargeCall>>20)
	}
	t.Logf("idle after a 60 MiB Echo: RSS %d MiB", rss>>20)
}
