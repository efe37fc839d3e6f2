package server_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/server"
	"github.com/rpcbench/rpcbench/service"
)

// A rawClient is a foreign client of one wire protocol, written against
// the protocol, not against rpcbench's codec: call sends one request and
// returns its reply's result and error fields, generically decoded.
type rawClient interface {
	send(id uint64, method string, arg map[string]any)
	receive() (id uint64, result map[string]any, errText string)
}

// jsonLines speaks JSON-RPC 1.0 as net/rpc/jsonrpc does: one JSON object
// per line each way.
type jsonLines struct {
	t   *testing.T
	enc *json.Encoder
	in  *bufio.Reader
}

func (c *jsonLines) send(id uint64, method string, arg map[string]any) {
	if err := c.enc.Encode(map[string]any{"method": method, "params": []any{arg}, "id": id}); err != nil {
		c.t.Fatal(err)
	}
}

func (c *jsonLines) receive() (uint64, map[string]any, string) {
	line, err := c.in.ReadBytes('\n')
	if err != nil {
		c.t.Fatal(err)
	}
	var resp struct {
		ID     uint64         `json:"id"`
		Result map[string]any `json:"result"`
		Error  *string        `json:"error"`
	}
	if err := json.Unmarshal(line, &resp); err != nil {
		c.t.Fatalf("reply %q: %v", line, err)
	}
	if resp.Error != nil {
		return resp.ID, resp.Result, *resp.Error
	}
	return resp.ID, resp.Result, ""
}

// msgpackRPC speaks MessagePack-RPC with the msgpack library directly:
// [0, msgid, method, params] out, [1, msgid, error, result] back.
type msgpackRPC struct {
	t   *testing.T
	enc *msgpack.Encoder
	dec *msgpack.Decoder
}

func (c *msgpackRPC) send(id uint64, method string, arg map[string]any) {
	if err := c.enc.Encode([]any{0, id, method, []any{arg}}); err != nil {
		c.t.Fatal(err)
	}
}

func (c *msgpackRPC) receive() (uint64, map[string]any, string) {
	var resp []any
	if err := c.dec.Decode(&resp); err != nil {
		c.t.Fatal(err)
	}
	if len(resp) != 4 || fmt.Sprint(resp[0]) != "1" {
		c.t.Fatalf("reply %v: want [1, msgid, error, result]", resp)
	}
	var id uint64
	fmt.Sscan(fmt.Sprint(resp[1]), &id)
	result, ok := resp[3].(map[string]any)
	if !ok && resp[3] != nil {
		c.t.Fatalf("result %#v: want a map", resp[3])
	}
	if resp[2] != nil {
		return id, result, fmt.Sprint(resp[2])
	}
	return id, result, ""
}

// TestKVForeignClients sets, gets and watches with a raw JSON-RPC client
// and a raw MessagePack-RPC client against a served connection.
func TestKVForeignClients(t *testing.T) {
	for _, tc := range []struct {
		codec string
		dial  func(t *testing.T, conn net.Conn) rawClient
	}{
		{"json", func(t *testing.T, conn net.Conn) rawClient {
			return &jsonLines{t: t, enc: json.NewEncoder(conn), in: bufio.NewReader(conn)}
		}},
		{"msgpack", func(t *testing.T, conn net.Conn) rawClient {
			return &msgpackRPC{t: t, enc: msgpack.NewEncoder(conn), dec: msgpack.NewDecoder(conn)}
		}},
	} {
		t.Run(tc.codec, func(t *testing.T) {
			c, err := codecs.Lookup(tc.codec)
			if err != nil {
				t.Fatal(err)
			}
			svc := service.New(nil)
			addr, _ := start(t, c, &server.Server{ConnRPC: svc.ConnServer})
			open := func() rawClient {
				conn, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				conn.SetDeadline(time.Now().Add(10 * time.Second)) // a watchdog
				t.Cleanup(func() { conn.Close() })
				return tc.dial(t, conn)
			}
			call := func(c rawClient, id uint64, method string, arg map[string]any) (map[string]any, string) {
				c.send(id, method, arg)
				gotID, result, errText := c.receive()
				if gotID != id {
					t.Fatalf("%s: reply to id %d, want %d", method, gotID, id)
				}
				return result, errText
			}
			setter, watcher := open(), open()

			if _, errText := call(setter, 1, "KV.Get", map[string]any{"key": "k"}); !strings.Contains(errText, "not found") {
				t.Fatalf("KV.Get of a key never set: error %q; want not found", errText)
			}
			if result, errText := call(setter, 2, "KV.Set", map[string]any{"key": "k", "value": "a"}); errText != "" || fmt.Sprintf("%v %v", result["value"], result["version"]) != "a 1" {
				t.Fatalf("KV.Set = %v, %q; want value a, version 1", result, errText)
			}
			watcher.send(7, "KV.Watch", map[string]any{"key": "k", "timeout_ms": 10000})
			waitFor(t, "the watch to arrive", func() bool { return svc.KV.Watching() == 1 })
			if result, errText := call(setter, 3, "KV.Set", map[string]any{"key": "k", "value": "b"}); errText != "" || fmt.Sprint(result["version"]) != "2" {
				t.Fatalf("KV.Set = %v, %q; want version 2", result, errText)
			}
			id, result, errText := watcher.receive()
			if id != 7 || errText != "" || fmt.Sprintf("%v %v %v", result["key"], result["value"], result["version"]) != "k b 2" {
				t.Fatalf("KV.Watch: id %d, result %v, error %q; want id 7, k b 2", id, result, errText)
			}
			if result, errText := call(watcher, 8, "KV.Get", map[string]any{"key": "k"}); errText != "" || fmt.Sprintf("%v %v", result["value"], result["version"]) != "b 2" {
				t.Fatalf("KV.Get = %v, %q; want b at version 2", result, errText)
			}
			if _, errText := call(watcher, 9, "KV.Watch", map[string]any{"key": "k", "timeout_ms": 1}); !strings.Contains(errText, "timeout") {
				t.Fatalf("KV.Watch with no change: error %q; want a timeout", errText)
			}
		})
	}
}
