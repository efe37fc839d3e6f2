package cli

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/rpcbench/rpcbench/server"
	"github.com/rpcbench/rpcbench/service"
	"github.com/rpcbench/rpcbench/transports"
)

// shutdownGrace is how long serve lets calls in flight finish after a
// signal before it closes their connections.
const shutdownGrace = 5 * time.Second

func serve(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("serve", `serve --codec C [--transport T] [--addr A] [--auth FILE] [flags]

Serves the Arith/Echo service until SIGINT or SIGTERM, then lets calls in
flight finish for up to 5s. The address it serves on is the first line of
stdout; log lines go to stderr. With --transport reverse it dials the
calling side (run or call --listen) instead, --conns times.

  rpcbench serve --codec msgpack --addr 127.0.0.1:9000
  rpcbench serve --codec gob --transport tls            (logs the certificate's fingerprint, for call --pin)
  rpcbench serve --codec gob --transport reverse --addr 127.0.0.1:9100`, stdout)
	codecFlags := addCodecFlags(fs)
	tf := addTransportFlags(fs, servingSide)
	authFile := fs.String("auth", "", "require every connection to log in first with the token in this file (white space around it ignored):\ncall Auth.Login with EchoRequest{Payload: token}, as call and run do with --token-file;\nother calls until then fail with \"unauthenticated\", and 3 bad tokens close the connection")
	back := addBackFlags(fs)
	idleTimeout := fs.Duration("idle-timeout", 0, "close a connection that sends nothing for this long after its last request or reply (0: never),\nor whose reply makes no progress for this long (a client that does not read its replies);\nhttp: also how long a keep-alive connection may sit idle (0: 10s)")
	socketMode := fs.String("socket-mode", "0600", "unix: the socket file's permissions, in octal; 0600 lets only this user connect,\n0660 the group too, 0666 everyone")
	allowGC := fs.Bool("allow-gc", false, "let any client force a garbage collection with Stats.Read{gc: true} (at most one a second);\nwithout it only a client that logged in (--auth) may")
	kvMaxKeys := fs.Int("kv-max-keys", service.DefaultKVMaxKeys, "the most keys KV.Set may store; a Set past it fails with an error naming this flag")
	kvMaxBytes := fs.Int64("kv-max-bytes", service.DefaultKVMaxBytes, "the most bytes of keys and values KV.Set may store (each key counted a few hundred bytes more);\na Set past it fails with an error naming this flag")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usagef("unexpected argument %q: serve takes only flags", fs.Arg(0))
	case *kvMaxKeys < 1 || *kvMaxBytes < 1:
		return usagef("--kv-max-keys %d, --kv-max-bytes %d: want positive bounds", *kvMaxKeys, *kvMaxBytes)
	case *idleTimeout < 0:
		return usagef("--idle-timeout %v: want a positive duration, or 0 for none", *idleTimeout)
	case tf.transport == "pipe":
		return usagef("--transport pipe: a pipe is in-process only, nothing outside serve could reach it; use tcp or unix")
	}
	mode, err := strconv.ParseUint(*socketMode, 8, 32)
	if err != nil || mode > 0o777 || mode&0o600 != 0o600 {
		return usagef("--socket-mode %q: want octal permissions that let this user read and write, 0600 to 0777", *socketMode)
	}
	codec, err := codecFlags.codec()
	if err != nil {
		return err
	}
	t, cfg, err := tf.config(codec.Name())
	if err != nil {
		return err
	}
	if transports.IsReversed(t) && cfg.Addr == "" {
		return usagef("--transport %s: serve dials the calling side (run --listen ADDR) and needs its address: give --addr HOST:PORT", t.Name())
	}
	cfg.SocketMode = os.FileMode(mode)
	cfg.IdleTimeout = *idleTimeout
	var token []byte
	if *authFile != "" {
		if token, err = server.ReadToken(*authFile); err != nil {
			return usagef("--auth: %v", err)
		}
	}
	// A server must not die because whoever reads its log went away
	// (serve 2>&1 | head -2): with SIGPIPE ignored, a write to a closed
	// stdout or stderr fails with EPIPE, which the log drops, instead of
	// killing the process.
	signal.Ignore(syscall.SIGPIPE)
	// SIGHUP (the terminal closed) ends serve as SIGTERM does: calls in
	// flight finish first.
	ctx, stopHUP := signal.NotifyContext(ctx, syscall.SIGHUP)
	defer stopHUP()
	raiseFileLimit()
	logger := log.New(stderr, "rpcbench serve: ", log.LstdFlags)
	// Connection failures (handshakes, bad frames, codec errors) come
	// one per hostile connection: one line a second per reason, counted.
	limited := server.NewLogLimiter(logger.Printf, time.Second)
	defer limited.Close()
	cfg.Logf = limited.Logf
	cfg.Token = token // reverse: the worker proves it holds it before any call
	for _, w := range tokenWarnings(*authFile, token) {
		logger.Printf("warning: %s", w)
	}
	l, err := t.Serve(ctx, cfg)
	if err != nil {
		return fmt.Errorf("serve: %s: %w", t.Name(), err)
	}
	// The address comes first on stdout so that scripts can read it.
	fmt.Fprintln(stdout, l.Addr())
	logger.Printf("serving codec %s over %s on %s", codec.Name(), t.Name(), l.Addr())
	if token != nil {
		logger.Printf("every connection must log in with the token in %s", *authFile)
	}
	if *idleTimeout > 0 {
		logger.Printf("closing connections silent for %v", *idleTimeout)
	}

	svc := &service.Service{KV: service.NewKVStoreLimited(service.KVLimits{MaxKeys: *kvMaxKeys, MaxBytes: *kvMaxBytes})}
	srv := &server.Server{Codec: codec, ConnRPC: svc.ConnServer, Logf: limited.Logf, Token: token, IdleTimeout: *idleTimeout, AllowGC: *allowGC}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	waitBack, err := back.start(ctx, stdout, logger, l, codec)
	if err != nil {
		srv.Shutdown(context.Background())
		<-served
		return err
	}
	defer waitBack()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Printf("shutting down: letting %d calls in flight finish (at most %v)", srv.InFlight(), shutdownGrace)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		logger.Printf("closed connections with calls still in flight: %v", err)
	}
	return <-served
}

// minTokenBytes is the shortest token serve takes without a warning: 16
// random bytes are beyond guessing, even at thousands of guesses a second.
const minTokenBytes = 16

// tokenWarnings says what is weak about a token and its file: too short
// to resist guessing, or readable by users other than the owner.
func tokenWarnings(file string, token []byte) []string {
	if token == nil {
		return nil
	}
	var ws []string
	if len(token) < minTokenBytes {
		ws = append(ws, fmt.Sprintf("the token in %s is %d bytes long; use at least %d random bytes (e.g. openssl rand -hex 16)", file, len(token), minTokenBytes))
	}
	if fi, err := os.Stat(file); err == nil && fi.Mode().Perm()&0o077 != 0 {
		ws = append(ws, fmt.Sprintf("the token file %s has mode %#o: other users may read it; chmod 600 %s", file, fi.Mode().Perm(), file))
	}
	return ws
}
