package cli

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/rpc"
	"os"
	"strings"
	"time"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/codecs/rpcparams"
	"github.com/rpcbench/rpcbench/harness"
	"github.com/rpcbench/rpcbench/server"
	"github.com/rpcbench/rpcbench/service"
	"github.com/rpcbench/rpcbench/stack"
)

const callSynopsis = `call --codec C [--transport T] --addr A METHOD [ARGS]

Makes one call and prints the reply as JSON. ARGS is JSON, @FILE to read it
from a file, or - to read it from stdin. For the built-in service's methods
(Arith.Multiply, Arith.Divide, Echo.Echo, Echo.Records, Stats.Read, KV.Set,
KV.Get, KV.Watch) it is decoded into the method's argument type; for any
other method it is sent as a generic value, so call can probe any server
that speaks the codec. With json and msgpack, whose requests carry a list of
parameters, a JSON array is that list (no ARGS is []), so methods of zero or
several parameters can be called; with other codecs it is one argument.
KV.Watch blocks until the key changes (its timeout_ms is added to --timeout).

  rpcbench call --codec msgpack --addr 127.0.0.1:9000 Arith.Multiply '{"a":6,"b":7}'
  rpcbench call --codec msgpack --addr 127.0.0.1:9000 KV.Watch '{"key":"k","timeout_ms":5000}'
  rpcbench call --codec msgpack --addr 127.0.0.1:6666 nvim_eval '["6*7"]'
  rpcbench call --codec msgpack --addr 127.0.0.1:6666 nvim_get_api_info
  rpcbench call --codec gob --transport tls --pin 3A:…:9F --addr 127.0.0.1:9443 Arith.Multiply @args.json`

func call(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	return callIn(ctx, os.Stdin, stdout, stderr, args)
}

// callIn is call with stdin given, for ARGS "-".
func callIn(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("call", callSynopsis, stdout)
	codecFlags := addCodecFlags(fs)
	tf := addTransportFlags(fs, callingSide)
	timeout := fs.Duration("timeout", 10*time.Second, "give up on connecting and on the call after this long")
	tokenFile := fs.String("token-file", "", "log in first with the token in this file, as rpcbench serve --auth requires")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	switch {
	case fs.NArg() == 0:
		return usagef("want METHOD and its JSON arguments, e.g. Arith.Multiply '{\"a\":6,\"b\":7}'")
	case fs.NArg() > 2:
		return usagef("want METHOD and one JSON argument, got %d arguments (quote the JSON)", fs.NArg())
	case !tf.external():
		return usagef("--addr is required: the address of the server to call (rpcbench serve prints its own)")
	case *timeout <= 0:
		return usagef("--timeout %v: want a positive duration", *timeout)
	}
	codec, err := codecFlags.codec()
	if err != nil {
		return err
	}
	method := fs.Arg(0)
	argJSON, err := readArgs(fs.Arg(1), fs.NArg() == 2, stdin)
	if err != nil {
		return err
	}
	t, cfg, err := tf.config(codec.Name())
	if err != nil {
		return err
	}
	var callArgs, reply any
	if _, _, known := service.Values(method); !known && codecs.StructsOnly(codec) {
		// Thrift encodes only generated structs: a method the service
		// doesn't have can be asked with an empty one, so that the server
		// says whether it knows it.
		if a := strings.TrimSpace(argJSON); a != "" && a != "{}" && a != "[]" {
			return usagef("%s: %s carries only the service's generated structs, so call can send arguments only to Arith.Multiply, Arith.Divide, Echo.Echo and Echo.Records (give {} or nothing to ask whether the server has %s)", method, codec.Name(), method)
		}
		callArgs, reply = new(service.StatsRequest), new(service.ServerStats) // empty on the wire
	} else if callArgs, reply, err = decodeArgs(method, argJSON, rpcparams.Supported(codec)); err != nil {
		return err
	}
	var token []byte
	if *tokenFile != "" {
		if token, err = server.ReadToken(*tokenFile); err != nil {
			return usagef("--token-file: %v", err)
		}
	}
	cfg.Token = token // reverse: workers must prove they hold it too
	wait := *timeout
	if w, ok := callArgs.(*service.WatchRequest); ok {
		wait += watchTimeout(w.GetTimeoutMs()) // the server holds a Watch that long
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	caller, err := t.Call(ctx, cfg)
	if err != nil {
		return fmt.Errorf("call: %s: %w", t.Name(), err)
	}
	defer caller.Close()
	conn, err := caller.Conn(ctx)
	if err != nil {
		return fmt.Errorf("call: connecting over %s to %s: %w%s", t.Name(), caller.Addr(), err, x509Hint(err))
	}
	first := &harness.FirstBytes{Conn: conn}
	client := rpc.NewClientWithCodec(codec.NewClientCodec(first))
	defer client.Close()
	if token != nil {
		if err := server.Login(ctx, client, token); err != nil {
			return fmt.Errorf("call: %w", err)
		}
	}
	select {
	case c := <-client.Go(method, callArgs, reply, nil).Done:
		var se rpc.ServerError
		switch {
		case c.Error == nil:
		case errors.As(c.Error, &se):
			return fmt.Errorf("call %s: %w", method, unknownMethod(c.Error))
		case token != nil:
			// The login's reply came back: the codec matches.
			return fmt.Errorf("call %s: %w", method, c.Error)
		default:
			return fmt.Errorf("call %s: %w", method, harness.FirstCallError(caller.Addr().String(), codec.Name(), first.Bytes(), wait, c.Error))
		}
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.Canceled) {
			return errInterrupted // SIGINT, not the timeout
		}
		return fmt.Errorf("call %s: %w", method, harness.FirstCallError(caller.Addr().String(), codec.Name(), first.Bytes(), wait, context.DeadlineExceeded))
	}
	out, err := json.Marshal(stack.StringKeys(reply))
	if err != nil {
		return fmt.Errorf("call %s: printing the reply: %w", method, err)
	}
	fmt.Fprintf(stdout, "%s\n", out)
	return nil
}

// readArgs returns the JSON of ARGS: the argument itself, a file's
// contents (@FILE) or stdin's (-). No ARGS is null, which decodeArgs
// turns into an empty parameter list where it can.
func readArgs(arg string, given bool, stdin io.Reader) (string, error) {
	switch {
	case !given:
		return "", nil
	case arg == "-":
		b, err := io.ReadAll(io.LimitReader(stdin, maxArgs+1))
		if err != nil {
			return "", usagef("reading ARGS from stdin: %v", err)
		}
		if len(b) > maxArgs {
			return "", usagef("ARGS from stdin: over %d bytes", maxArgs)
		}
		return string(b), nil
	case strings.HasPrefix(arg, "@"):
		b, err := os.ReadFile(arg[1:])
		if err != nil {
			return "", usagef("ARGS %s: %v", arg, err)
		}
		return string(b), nil
	}
	return arg, nil
}

// maxArgs bounds ARGS read from stdin.
const maxArgs = 64 << 20

// x509Hint says what to do about a certificate the calling side could not
// verify: trust it with --insecure, or better, pin the fingerprint serve
// logged.
func x509Hint(err error) string {
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var host x509.HostnameError
	if errors.As(err, &unknown) || errors.As(err, &invalid) || errors.As(err, &host) || strings.Contains(err.Error(), "x509:") {
		return "\n(a self-signed server, such as rpcbench serve --transport tls: pin the SHA-256 fingerprint it logged with --pin, or skip verifying with --insecure)"
	}
	return ""
}

// unknownMethod rewords the ways servers say a method does not exist
// (net/rpc's "can't find method", Thrift's "unknown function") so that
// every codec says "unknown method".
func unknownMethod(err error) error {
	msg := err.Error()
	for _, s := range []string{"can't find method", "can't find service", "unknown function", "Unknown function", "unknown method"} {
		if strings.Contains(msg, s) {
			if s == "unknown method" {
				return err
			}
			return fmt.Errorf("unknown method: %w", err)
		}
	}
	return err
}

// watchTimeout is how long a KV.Watch with timeoutMS may wait: that, or
// a day for no limit.
func watchTimeout(timeoutMS int64) time.Duration {
	if timeoutMS <= 0 || timeoutMS > int64(24*time.Hour/time.Millisecond) {
		return 24 * time.Hour
	}
	return time.Duration(timeoutMS) * time.Millisecond
}

// decodeArgs decodes argJSON into method's argument type, or into a generic
// value for a method the built-in service doesn't have: with a codec that
// carries parameter lists (lists), a JSON array (or nothing) is the list.
func decodeArgs(method, argJSON string, lists bool) (args, reply any, err error) {
	args, reply, known := service.Values(method)
	if !known {
		var v any
		args, reply = &v, new(any)
	}
	if strings.TrimSpace(argJSON) == "" {
		if known || !lists {
			return nil, nil, usagef("%s: want its JSON argument", method)
		}
		return rpcparams.List{}, reply, nil
	}
	dec := json.NewDecoder(strings.NewReader(argJSON))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(args); err != nil {
		return nil, nil, usagef("%s: argument %q: %v", method, argJSON, err)
	}
	if dec.More() {
		return nil, nil, usagef("%s: argument %q: more than one JSON value (give a parameter list as one array)", method, argJSON)
	}
	if !known {
		args = generic(*args.(*any))
		if list, ok := args.([]any); ok && lists {
			args = rpcparams.List(list)
		}
	}
	return args, reply, nil
}

// generic turns JSON numbers into int64 where they are integers, and
// float64 otherwise, so that codecs encode them as their native types.
func generic(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		f, _ := v.Float64()
		return f
	case []any:
		for i := range v {
			v[i] = generic(v[i])
		}
	case map[string]any:
		for k := range v {
			v[k] = generic(v[k])
		}
	}
	return v
}
