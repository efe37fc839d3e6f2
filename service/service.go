// Package service is the one service every rpcbench codec and transport
// carries: Arith (Multiply, Divide) and Echo (Echo, Records), over the Go
// types generated from rpcbench.proto.
package service

import (
	"errors"
	"fmt"
	"net/rpc"
)

// ErrDivisionByZero is the error Arith.Divide returns when b is 0.
var ErrDivisionByZero = errors.New("division by zero")

// Register registers Arith and Echo with srv.
func Register(srv *rpc.Server) error { return (*Delay)(nil).Register(srv) }

// NewServer returns an rpc.Server with the service registered.
func NewServer() *rpc.Server { return (*Delay)(nil).NewServer() }

// Register registers Arith, Echo and Stats with srv, every call delayed as d says
// (a nil d: not at all).
func (d *Delay) Register(srv *rpc.Server) error {
	for _, rcvr := range []any{&Arith{delay: d}, &Echo{delay: d}, Stats{}} {
		if err := srv.Register(rcvr); err != nil {
			return err
		}
	}
	return nil
}

// NewServer returns an rpc.Server with the service registered, every call
// delayed as d says.
func (d *Delay) NewServer() *rpc.Server {
	srv := rpc.NewServer()
	if err := d.Register(srv); err != nil {
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
