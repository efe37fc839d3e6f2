// Package service is the one service every rpcbench codec and transport
// carries: Arith (Multiply, Divide), Echo (Echo, Records), Stats (Read) and
// KV (Set, Get, Watch), over the Go types generated from rpcbench.proto.
package service

import (
	"context"
	"errors"
	"fmt"
	"net/rpc"
)

// ErrDivisionByZero is the error Arith.Divide returns when b is 0.
var ErrDivisionByZero = errors.New("division by zero")

// Register registers Arith, Echo, Stats and KV (with a store of its own)
// with srv. Its KV watches end only at their timeout: a server that wants
// them to end with their connection uses Service.ConnServer.
func Register(srv *rpc.Server) error { return New(nil).Register(context.Background(), srv) }

// NewServer returns an rpc.Server with the service registered, as Register.
func NewServer() *rpc.Server { return (*Delay)(nil).NewServer() }

// Register registers the service with srv as the package's Register does,
// every call delayed as d says (a nil d: not at all).
func (d *Delay) Register(srv *rpc.Server) error { return New(d).Register(context.Background(), srv) }

// NewServer returns an rpc.Server with the service registered, every call
// delayed as d says, as the package's Register.
func (d *Delay) NewServer() *rpc.Server { return New(d).ConnServer(context.Background()) }

// A Service is the one service with the state its calls share: the KV
// store, which every connection of a server must see.
type Service struct {
	Delay *Delay   // delays every call; nil: none
	KV    *KVStore // the store KV serves; New makes one
}

// New returns the service with an empty KV store, every call delayed as d
// says.
func New(d *Delay) *Service { return &Service{Delay: d, KV: NewKVStore()} }

// Register registers Arith, Echo, Stats and KV with srv. KV's watches end
// when ctx does, which is why a server registers the service once per
// connection, with a context that ends with the connection (ConnServer).
func (s *Service) Register(ctx context.Context, srv *rpc.Server) error {
	for _, rcvr := range []any{&Arith{delay: s.Delay}, &Echo{delay: s.Delay}, Stats{}, NewKV(ctx, s.KV, s.Delay)} {
		if err := srv.Register(rcvr); err != nil {
			return err
		}
	}
	return nil
}

// ConnServer returns an rpc.Server with the service registered for one
// connection whose life is ctx: cancel ctx when that connection's
// ServeCodec returns, and the Watch calls it left waiting end at once.
// Every connection's server shares s's KV store. Registering costs a few
// microseconds of reflection per connection and nothing per call.
func (s *Service) ConnServer(ctx context.Context) *rpc.Server {
	srv := rpc.NewServer()
	if err := s.Register(ctx, srv); err != nil {
		panic(err) // the method sets are fixed at compile time
	}
	return srv
}

// Values returns new, empty argument and reply values for the service
// method called method ("Arith.Multiply"); ok is false for a method the
// service doesn't have.
func Values(method string) (args, reply any, ok bool) {
	switch method {
	case "Arith.Multiply":
		return new(Args), new(Product), true
	case "Arith.Divide":
		return new(Args), new(Quotient), true
	case "Echo.Echo":
		return new(EchoRequest), new(EchoReply), true
	case "Echo.Records":
		return new(RecordBatch), new(RecordBatch), true
	case "Stats.Read":
		return new(StatsRequest), new(ServerStats), true
	case "KV.Set", "KV.Get":
		return new(KeyValue), new(KeyValue), true
	case "KV.Watch":
		return new(WatchRequest), new(KeyValue), true
	}
	return nil, nil, false
}

// Arith multiplies and divides.
type Arith struct{ delay *Delay }

// Multiply sets reply.Value to a*b.
func (a *Arith) Multiply(args *Args, reply *Product) (err error) {
	defer recoverCall(&err)
	a.delay.Wait()
	reply.Value = args.GetA() * args.GetB()
	return nil
}

// Divide sets reply to the quotient and remainder of a/b.
func (a *Arith) Divide(args *Args, reply *Quotient) (err error) {
	defer recoverCall(&err)
	a.delay.Wait()
	if args.GetB() == 0 {
		return ErrDivisionByZero
	}
	reply.Quo = args.GetA() / args.GetB()
	reply.Rem = args.GetA() % args.GetB()
	return nil
}

// Echo returns what it is given.
type Echo struct{ delay *Delay }

// Echo returns the request's payload.
func (e *Echo) Echo(args *EchoRequest, reply *EchoReply) (err error) {
	defer recoverCall(&err)
	e.delay.Wait()
	reply.Payload = args.GetPayload()
	if reply.Payload == nil {
		// Bytes have no null in protobuf: an empty payload is empty bytes,
		// which JSON writes as "" (DESIGN 3), not null. No allocation.
		reply.Payload = []byte{}
	}
	return nil
}

// Records returns the batch it is given.
func (e *Echo) Records(args *RecordBatch, reply *RecordBatch) (err error) {
	defer recoverCall(&err)
	e.delay.Wait()
	reply.Records = args.GetRecords()
	return nil
}

// recoverCall turns a panic in a handler into that call's error: net/rpc
// runs handlers without a recover, and one bad call must not end the process.
func recoverCall(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("service: handler panicked: %v", r)
	}
}
