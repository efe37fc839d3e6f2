package cli

import (
	"context"
	"fmt"
	"io"
	"log"
	"time"

	"github.com/rpcbench/rpcbench/harness/server"
)

// shutdownGrace is how long serve lets calls in flight finish after a
// signal before it closes their connections.
const shutdownGrace = 5 * time.Second

func serve(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("serve", "serve --codec C [--transport T] [--addr A] [--auth FILE] [flags]", stderr)
	codecFlags := addCodecFlags(fs)
	tf := addTransportFlags(fs)
	authFile := fs.String("auth", "", "require every connection to log in first with the token in this file (white space around it ignored):\ncall Auth.Login with EchoRequest{Payload: token}, as call and run do with --token-file;\nother calls until then fail with \"unauthenticated\", and 3 bad tokens close the connection")
	back := addBackFlags(fs)
	idleTimeout := fs.Duration("idle-timeout", 0, "close a connection that sends nothing for this long after its last request or reply (0: never);\na connection waiting for a reply is not idle")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	if *idleTimeout < 0 {
		return fmt.Errorf("serve: --idle-timeout %v: want a positive duration, or 0 for none", *idleTimeout)
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
	if *authFile != "" {
		if token, err = server.ReadToken(*authFile); err != nil {
			return fmt.Errorf("serve: --auth: %w", err)
		}
	}
	raiseFileLimit()
	logger := log.New(stderr, "rpcbench serve: ", log.LstdFlags)
	cfg.Logf = logger.Printf
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

	srv := &server.Server{Codec: codec, Logf: logger.Printf, Token: token, IdleTimeout: *idleTimeout}
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
