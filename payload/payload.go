// Package payload names what a call carries (bytes:1KiB, records:100,
// arith), makes its arguments and checks its replies.
package payload

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/rpcbench/rpcbench/measure"
	"github.com/rpcbench/rpcbench/service"
)

// A Payload is one kind of call with a fixed argument.
type Payload struct {
	// Name is the spelling Parse accepts: arith, bytes:1KiB, records:100.
	Name string
	// Method is the service method called, e.g. "Echo.Echo".
	Method string
	// Args is the argument sent with every call; it is never modified.
	Args any
	// NewReply returns an empty reply for one call.
	NewReply func() any
	// Check reports whether reply is the right answer to Args.
	Check func(reply any) error
}

// ErrWrongReply is wrapped by every error Check returns.
var ErrWrongReply = errors.New("wrong reply")

// Examples lists payload spellings for help texts.
func Examples() []string {
	return []string{"arith", "bytes:16", "bytes:1KiB", "bytes:64KiB", "records:100"}
}

// Parse parses a payload spelling: "arith" (Arith.Multiply), "bytes:N"
// (Echo.Echo of N bytes; N may end in KiB or MiB) or "records:N"
// (Echo.Records of a batch of N records).
func Parse(s string) (Payload, error) {
	kind, arg, hasArg := strings.Cut(s, ":")
	switch {
	case kind == "arith" && !hasArg:
		return arith(), nil
	case kind == "bytes" && hasArg:
		n, err := measure.ParseSize(arg)
		if err != nil {
			return Payload{}, fmt.Errorf("payload %q: %w", s, err)
		}
		return echoBytes(s, n), nil
	case kind == "records" && hasArg:
		n, err := strconv.Atoi(arg)
		if err != nil || n < 0 {
			return Payload{}, fmt.Errorf("payload %q: record count %q is not a non-negative integer", s, arg)
		}
		return records(s, n), nil
	}
	return Payload{}, fmt.Errorf("payload %q: want arith, bytes:N or records:N (e.g. %s)", s, strings.Join(Examples(), ", "))
}

func arith() Payload {
	args := &service.Args{A: 6, B: 7}
	return Payload{
		Name:     "arith",
		Method:   "Arith.Multiply",
		Args:     args,
		NewReply: func() any { return new(service.Product) },
		Check: func(reply any) error {
			if got := reply.(*service.Product).GetValue(); got != 42 {
				return fmt.Errorf("%w: Arith.Multiply(6, 7) = %d, want 42", ErrWrongReply, got)
			}
			return nil
		},
	}
}

func echoBytes(name string, n int) Payload {
	args := &service.EchoRequest{Payload: make([]byte, n)}
	for i := range args.Payload {
		args.Payload[i] = byte(i*7 + 1)
	}
	return Payload{
		Name:     name,
		Method:   "Echo.Echo",
		Args:     args,
		NewReply: func() any { return new(service.EchoReply) },
		Check: func(reply any) error {
			got := reply.(*service.EchoReply).GetPayload()
			if !bytes.Equal(got, args.Payload) {
				return fmt.Errorf("%w: Echo.Echo of %d bytes returned %d different bytes", ErrWrongReply, n, len(got))
			}
			return nil
		},
	}
}

func records(name string, n int) Payload {
	args := &service.RecordBatch{Records: make([]*service.Record, n)}
	for i := range args.Records {
		args.Records[i] = &service.Record{
			Id:        int64(i) * 1_000_003,
			Name:      fmt.Sprintf("record-%d", i),
			Score:     float64(i) + 0.25,
			Flag:      i%2 == 0,
			Tags:      []string{"alpha", "beta", strconv.Itoa(i)},
			Counters:  map[string]int64{"reads": int64(i), "writes": int64(2 * i)},
			Timestamp: 1_700_000_000_000 + int64(i),
		}
	}
	return Payload{
		Name:     name,
		Method:   "Echo.Records",
		Args:     args,
		NewReply: func() any { return new(service.RecordBatch) },
		Check: func(reply any) error {
			if got := reply.(*service.RecordBatch); !proto.Equal(got, args) {
				return fmt.Errorf("%w: Echo.Records of %d records returned a different batch of %d", ErrWrongReply, n, len(got.GetRecords()))
			}
			return nil
		},
	}
}
