package cborrpc_test

import (
	"bytes"
	"encoding/hex"
	"net/rpc"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/codecs/codectest"
	"github.com/rpcbench/rpcbench/examples/plugin/cborrpc"
	"github.com/rpcbench/rpcbench/service"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestConformance is rpcbench's conformance suite, run as any team would
// run it on its own codec.
func TestConformance(t *testing.T) {
	codectest.Run(t, func(maxMessage int) codecs.Codec { return cborrpc.Codec{MaxMessage: maxMessage} })
}

func FuzzServer(f *testing.F) { codectest.FuzzServer(f, cborrpc.Codec{}) }
func FuzzClient(f *testing.F) { codectest.FuzzClient(f, cborrpc.Codec{}) }

func TestRegisteredByImport(t *testing.T) {
	c, err := codecs.New("cbor", codecs.Options{MaxMessage: 1 << 10})
	if err != nil {
		t.Fatalf("codecs.New(cbor): %v (have %v)", err, codecs.Names())
	}
	if c != (cborrpc.Codec{MaxMessage: 1 << 10}) {
		t.Errorf("codecs.New(cbor, 1 KiB cap) = %#v; want the cap passed on", c)
	}
	if err := codecs.Register(cborrpc.Codec{}); err == nil {
		t.Error("registering cbor twice succeeded")
	}
}

// TestWireFormat pins the bytes the README describes.
func TestWireFormat(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{
			"a request: [seq, method, \"\", {\"a\": 6, \"b\": 0}]",
			codectest.Request(cborrpc.Codec{}, 1, "Arith.Multiply", &service.Args{A: 6}),
			"00000019" + "84" + "01" + "6e" + hex.EncodeToString([]byte("Arith.Multiply")) + "60" + "a2" + "6161" + "06" + "6162" + "00",
		},
		{
			"a reply: [seq, method, \"\", {\"value\": 0}]",
			codectest.Response(cborrpc.Codec{}, 1, "Arith.Multiply", &service.Args{}, &service.Product{}, ""),
			"0000001a" + "84" + "01" + "6e" + hex.EncodeToString([]byte("Arith.Multiply")) + "60" + "a1" + "6576616c7565" + "00",
		},
		{
			"an error: [seq, method, error, null]",
			codectest.Response(cborrpc.Codec{}, 2, "Arith.Divide", &service.Args{}, struct{}{}, "division by zero"),
			"00000021" + "84" + "02" + "6c" + hex.EncodeToString([]byte("Arith.Divide")) + "70" + hex.EncodeToString([]byte("division by zero")) + "f6",
		},
		{
			"empty bytes are an empty byte string, not null",
			codectest.Request(cborrpc.Codec{}, 3, "Echo.Echo", &service.EchoRequest{}),
			"00000017" + "84" + "03" + "69" + hex.EncodeToString([]byte("Echo.Echo")) + "60" + "a1" + "677061796c6f6164" + "40",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hex.EncodeToString(tt.got); got != tt.want {
				t.Errorf("wrote\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// TestHostile feeds the server codec messages that lie about their sizes:
// each fails its connection with an error that says why, and none costs
// more than a few kilobytes.
func TestHostile(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"a length prefix over the cap", "fffffff0" + "84", "exceeds limit 67108864"},
		{"a method name claiming 4 GiB", "0000000a" + "84" + "01" + "7afffffff0" + "414243", "cbor: message of 10 bytes"},
		{"a body map claiming 4 Gi pairs", "0000000c" + "84" + "01" + "60" + "60" + "bafffffff0" + "616100", "cbor: message of 12 bytes"},
		{"nesting past 32 levels", "00000044" + "84" + "01" + "60" + "60" + strings.Repeat("81", 63) + "00", "exceeded max nested level"},
		{"indefinite lengths", "00000007" + "84" + "01" + "60" + "60" + "9f" + "00" + "ff", "indefinite-length"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := hex.DecodeString(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			var rerr error
			allocated := codectest.Allocated(func() {
				sc := cborrpc.Codec{}.NewServerCodec(&conn{in: bytes.NewReader(in)})
				var req rpc.Request
				rerr = sc.ReadRequestHeader(&req)
			})
			if rerr == nil || !strings.Contains(rerr.Error(), tt.want) {
				t.Errorf("error %v; want one containing %q", rerr, tt.want)
			}
			if allocated > 256<<10 {
				t.Errorf("reading %d bytes allocated %d bytes", len(in), allocated)
			}
		})
	}
}

type conn struct {
	in  *bytes.Reader
	out bytes.Buffer
}

func (c *conn) Read(p []byte) (int, error)  { return c.in.Read(p) }
func (c *conn) Write(p []byte) (int, error) { return c.out.Write(p) }
func (c *conn) Close() error                { return nil }
