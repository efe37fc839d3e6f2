package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/rpc"
	"time"

	"github.com/rpcbench/rpcbench/harness/server"
	"github.com/rpcbench/rpcbench/service"
)

func call(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("call", `call --codec C [--transport T] --addr A METHOD 'JSON'

Makes one call and prints the reply as JSON. For the built-in service's
methods (Arith.Multiply, Arith.Divide, Echo.Echo, Echo.Records, Stats.Read,
KV.Set, KV.Get, KV.Watch) the JSON is decoded into the method's argument
type; for any other method it is sent as a generic value, so call can probe
any server that speaks the codec. KV.Watch blocks until the key changes (its
timeout_ms is added to --timeout):

  rpcbench call --codec msgpack --addr 127.0.0.1:9000 Arith.Multiply '{"a":6,"b":7}'
  rpcbench call --codec msgpack --addr 127.0.0.1:9000 KV.Watch '{"key":"k","timeout_ms":5000}'
  rpcbench call --codec msgpack --addr 127.0.0.1:6666 nvim_eval '"6*7"'`, stderr)
	codecFlags := addCodecFlags(fs)
	tf := addTransportFlags(fs)
	timeout := fs.Duration("timeout", 10*time.Second, "give up on connecting and on the call after this long")
	tokenFile := fs.String("token-file", "", "log in first with the token in this file, as rpcbench serve --auth requires")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return fmt.Errorf("call: want METHOD and one JSON argument, got %d arguments", fs.NArg())
	}
	method, argJSON := fs.Arg(0), fs.Arg(1)
	callArgs, reply, err := decodeArgs(method, argJSON)
	if err != nil {
		return err
	}
	codec, err := codecFlags.codec()
	if err != nil {
		return err
	}
	t, cfg, err := tf.config(codec.Name())
	if err != nil {
		return err
	}
	var token []byte
	if *tokenFile != "" {
		if token, err = server.ReadToken(*tokenFile); err != nil {
			return fmt.Errorf("call: --token-file: %w", err)
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
		return fmt.Errorf("call: connecting over %s to %s: %w", t.Name(), caller.Addr(), err)
	}
	client := rpc.NewClientWithCodec(codec.NewClientCodec(conn))
	defer client.Close()
	if token != nil {
		if err := server.Login(ctx, client, token); err != nil {
			return fmt.Errorf("call: %w", err)
		}
	}
	select {
	case c := <-client.Go(method, callArgs, reply, nil).Done:
		if c.Error != nil {
			return fmt.Errorf("call %s: %w", method, c.Error)
		}
	case <-ctx.Done():
		return fmt.Errorf("call %s: no reply after %v", method, wait)
	}
	out, err := json.Marshal(jsonable(reply))
	if err != nil {
		return fmt.Errorf("call %s: printing the reply: %w", method, err)
	}
	fmt.Fprintf(stdout, "%s\n", out)
	return nil
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
// value for a method the built-in service doesn't have.
func decodeArgs(method, argJSON string) (args, reply any, err error) {
	args, reply, known := service.Values(method)
	if !known {
		var v any
		args, reply = &v, new(any)
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(argJSON)))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(args); err != nil {
		return nil, nil, fmt.Errorf("call %s: argument %q: %w", method, argJSON, err)
	}
	if !known {
		args = generic(*args.(*any))
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

// jsonable turns maps with non-string keys, which some codecs decode
// generic maps into, into maps JSON can print.
func jsonable(v any) any {
	switch v := v.(type) {
	case *any:
		return jsonable(*v)
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[fmt.Sprint(k)] = jsonable(e)
		}
		return m
	case []any:
		for i := range v {
			v[i] = jsonable(v[i])
		}
	case map[string]any:
		for k := range v {
			v[k] = jsonable(v[k])
		}
	}
	return v
}
