package httpjson_test

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/rpcbench/rpcbench/examples/plugin/httpjson"
	"github.com/rpcbench/rpcbench/harness"
	"github.com/rpcbench/rpcbench/stack/stacktest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestConformance runs the peer through the harness over TCP, every reply
// checked, as rpcbench run uses it.
func TestConformance(t *testing.T) { stacktest.Run(t, httpjson.Stack{}, 1, 200) }

func TestRegisteredByImport(t *testing.T) {
	if _, err := harness.LookupPeer("http-json"); err != nil {
		t.Fatalf("LookupPeer(http-json): %v (have %v)", err, harness.PeerNames())
	}
	if err := harness.RegisterPeer(httpjson.Stack{}); err == nil {
		t.Error("registering http-json twice succeeded")
	}
}

// TestAPlainHTTPClientCalls reads the wire with net/http's own client, not
// the peer's: a JSON-RPC 1.0 POST answered as net/rpc/jsonrpc answers.
func TestAPlainHTTPClientCalls(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httpjson.Stack{}.Serve(l, nil)
	defer srv.Close()
	c := &http.Client{Transport: &http.Transport{}}
	defer c.CloseIdleConnections()
	resp, err := c.Post("http://"+l.Addr().String()+"/rpc", "application/json", strings.NewReader(`{"method":"Arith.Multiply","params":[{"a":6,"b":7}],"id":9}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if want := `{"id":9,"result":{"value":42},"error":null}`; resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != want {
		t.Errorf("%s %s; want 200 OK %s", resp.Status, body, want)
	}
}
