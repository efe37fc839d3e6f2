// Package thriftpeer is the Thrift peer the benchmarks compare against:
// Apache Thrift's own Go server and client, from the code the Thrift
// compiler generated in service/thriftgen, speaking what the rpcbench
// thrift codec speaks: framed transport, binary protocol, services
// multiplexed as "Arith", "Echo" and "KV".
package thriftpeer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/apache/thrift/lib/go/thrift"

	"github.com/rpcbench/rpcbench/codecs/frame"
	"github.com/rpcbench/rpcbench/measure"
	"github.com/rpcbench/rpcbench/payload"
	"github.com/rpcbench/rpcbench/service"
	"github.com/rpcbench/rpcbench/service/thriftgen"
	"github.com/rpcbench/rpcbench/stack"
)

// Stack is the Thrift peer. A Thrift client makes one call at a time, so
// connections are not shared.
type Stack struct{}

func (Stack) ID() measure.StackID { return measure.PeerID("thrift") }
func (Stack) Shared() bool        { return false }

// conf lets frames and messages be as large as the codecs allow (Thrift's
// own default frame cap is about 16 MB).
var conf = &thrift.TConfiguration{MaxFrameSize: frame.DefaultMax, MaxMessageSize: frame.DefaultMax}

// newProtocol returns the protocol both sides speak over conn, and the
// transport under it.
func newProtocol(conn net.Conn) (thrift.TProtocol, thrift.TTransport) {
	t := thrift.NewTFramedTransportConf(thrift.NewTSocketFromConnConf(conn, conf), conf)
	return thrift.NewTBinaryProtocolConf(t, conf), t
}

// newTClient returns a Thrift client over conn that calls the service
// named svc ("Arith", "Echo").
func newTClient(conn net.Conn, svc string) (thrift.TClient, thrift.TTransport) {
	prot, t := newProtocol(conn)
	return thrift.NewTStandardClient(prot, thrift.NewTMultiplexedProtocol(prot, svc)), t
}

func (Stack) NewClient(conn net.Conn, p payload.Payload) (stack.Client, error) {
	svc, _, _ := strings.Cut(p.Method, ".")
	prot, t := newProtocol(conn)
	tc := thrift.NewTStandardClient(prot, thrift.NewTMultiplexedProtocol(prot, svc))
	// The KV client shares the connection: a Thrift client makes one call
	// at a time, and so does the harness's user of this one.
	c := &client{t: t, kv: thriftgen.NewKVClient(thrift.NewTStandardClient(prot, thrift.NewTMultiplexedProtocol(prot, "KV")))}
	// Each call's argument is converted to the generated type once, here;
	// a reply is converted back only to be checked.
	switch a := p.Args.(type) {
	case *service.Args:
		if p.Method == "Arith.Multiply" {
			arith, args := thriftgen.NewArithClient(tc), toArgs(a)
			c.call = func(ctx context.Context, check bool) error {
				r, err := arith.Multiply(ctx, args)
				if err != nil || !check {
					return err
				}
				return p.Check(fromProduct(r))
			}
		}
	case *service.EchoRequest:
		if p.Method == "Echo.Echo" {
			echo, args := thriftgen.NewEchoClient(tc), &thriftgen.EchoRequest{Payload: a.GetPayload()}
			c.call = func(ctx context.Context, check bool) error {
				r, err := echo.Echo(ctx, args)
				if err != nil || !check {
					return err
				}
				return p.Check(fromEchoReply(r))
			}
		}
	case *service.RecordBatch:
		if p.Method == "Echo.Records" {
			echo, args := thriftgen.NewEchoClient(tc), toRecordBatch(a)
			c.call = func(ctx context.Context, check bool) error {
				r, err := echo.Records(ctx, args)
				if err != nil || !check {
					return err
				}
				return p.Check(fromRecordBatch(r))
			}
		}
	}
	if c.call == nil {
		return nil, fmt.Errorf("thrift: payload %s calls %s with %T, which the Thrift peer doesn't serve", p.Name, p.Method, p.Args)
	}
	return c, nil
}

type client struct {
	t    thrift.TTransport
	kv   *thriftgen.KVClient
	call func(ctx context.Context, check bool) error
}

func (c *client) Call(ctx context.Context, check bool) error { return c.call(ctx, check) }
func (c *client) Close() error                               { return c.t.Close() }

// Serve serves each connection l yields with Thrift's multiplexed
// processor, one call at a time, as Thrift's TSimpleServer does.
func (Stack) Serve(l net.Listener, d *service.Delay) stack.Server {
	h := handler{d: d, kv: service.NewKVStore()}
	proc := thrift.NewTMultiplexedProcessor()
	proc.RegisterProcessor("Arith", thriftgen.NewArithProcessor(h))
	proc.RegisterProcessor("Echo", thriftgen.NewEchoProcessor(h))
	proc.RegisterProcessor("KV", thriftgen.NewKVProcessor(h))
	return &server{
		Server: stack.ServeEach(l, func(conn net.Conn) { serveConn(conn, proc) }),
		kv:     h.kv,
	}
}

// server is the Thrift peer's, with the store its KV service serves.
type server struct {
	stack.Server
	kv *service.KVStore
}

// serveConn processes calls on conn until it fails, with the rules of
// Thrift's TSimpleServer: a call to an unknown method is answered and the
// connection kept; any other failure to process ends it.
func serveConn(conn net.Conn, proc thrift.TProcessor) {
	prot, _ := newProtocol(conn)
	ctx := context.Background()
	for {
		ok, err := proc.Process(ctx, prot, prot)
		var ae thrift.TApplicationException
		if errors.As(err, &ae) && ae.TypeId() == thrift.UNKNOWN_METHOD {
			continue
		}
		if !ok {
			return
		}
	}
}

// errNoArgument is the error of a call whose message lacks its argument:
// the generated code passes nil, and its getters would panic on it.
var errNoArgument = errors.New("thrift: call has no argument")

// handler implements the service for thriftgen's Arith, Echo and KV
// processors, each call delayed by d first.
type handler struct {
	d  *service.Delay
	kv *service.KVStore // one store for every connection
}

func (h handler) Multiply(_ context.Context, req *thriftgen.Args_) (*thriftgen.Product, error) {
	h.d.Wait()
	if req == nil {
		return nil, errNoArgument
	}
	return &thriftgen.Product{Value: req.A * req.B}, nil
}

func (h handler) Divide(_ context.Context, req *thriftgen.Args_) (*thriftgen.Quotient, error) {
	h.d.Wait()
	if req == nil {
		return nil, errNoArgument
	}
	if req.B == 0 {
		return nil, service.ErrDivisionByZero
	}
	return &thriftgen.Quotient{Quo: req.A / req.B, Rem: req.A % req.B}, nil
}

func (h handler) Echo(_ context.Context, req *thriftgen.EchoRequest) (*thriftgen.EchoReply, error) {
	h.d.Wait()
	if req == nil {
		return nil, errNoArgument
	}
	return &thriftgen.EchoReply{Payload: req.Payload}, nil
}

func (h handler) Records(_ context.Context, req *thriftgen.RecordBatch) (*thriftgen.RecordBatch, error) {
	h.d.Wait()
	if req == nil {
		return nil, errNoArgument
	}
	return &thriftgen.RecordBatch{Records: req.Records}, nil
}

// Conversions between the service's protobuf types and thriftgen's. A
// reply may be nil (a result without its success field); it converts to
// an empty value, which the payload's check rejects.

func toArgs(a *service.Args) *thriftgen.Args_ {
	return &thriftgen.Args_{A: a.GetA(), B: a.GetB()}
}

func fromProduct(r *thriftgen.Product) *service.Product {
	if r == nil {
		return new(service.Product)
	}
	return &service.Product{Value: r.Value}
}

func fromEchoReply(r *thriftgen.EchoReply) *service.EchoReply {
	if r == nil {
		return new(service.EchoReply)
	}
	return &service.EchoReply{Payload: r.Payload}
}

func toRecordBatch(b *service.RecordBatch) *thriftgen.RecordBatch {
	out := &thriftgen.RecordBatch{Records: make([]*thriftgen.Record, len(b.GetRecords()))}
	for i, r := range b.GetRecords() {
		out.Records[i] = &thriftgen.Record{
			ID:        r.GetId(),
			Name:      r.GetName(),
			Score:     r.GetScore(),
			Flag:      r.GetFlag(),
			Tags:      r.GetTags(),
			Counters:  r.GetCounters(),
			Timestamp: r.GetTimestamp(),
		}
	}
	return out
}

func fromRecordBatch(b *thriftgen.RecordBatch) *service.RecordBatch {
	if b == nil {
		return new(service.RecordBatch)
	}
	out := &service.RecordBatch{Records: make([]*service.Record, len(b.Records))}
	for i, r := range b.Records {
		if r == nil {
			r = new(thriftgen.Record)
		}
		out.Records[i] = &service.Record{
			Id:        r.ID,
			Name:      r.Name,
			Score:     r.Score,
			Flag:      r.Flag,
			Tags:      r.Tags,
			Counters:  r.Counters,
			Timestamp: r.Timestamp,
		}
	}
	return out
}
