package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net"
	"net/rpc"
	"os"
	"sync"
	"time"

	"github.com/rpcbench/rpcbench/service"
)

// The login protocol (DESIGN 8). A connection to a Server with a Token
// calls LoginMethod with service.EchoRequest{Payload: token} and gets a
// service.EchoReply back; every codec already carries those types, Thrift
// included, so the login needs nothing new on the wire. Until a login
// succeeds, every other call fails with the error text "unauthenticated"
// and never reaches the service; the connection stays open for a proper
// login. A failed login's error text starts with "unauthenticated: ".
const LoginMethod = "Auth.Login"

// The error texts of calls before a login and of failed logins; they
// reach the client as rpc.ServerError, text only.
const (
	errUnauthenticated = "unauthenticated"
	errBadToken        = errUnauthenticated + ": bad token"
	errBadLoginBody    = errUnauthenticated + ": malformed login: want " + LoginMethod + " with an EchoRequest holding the token"
)

// maxBadLogins failed logins end a connection. A guesser gains nothing on
// a connection it keeps, and has to pay a new connection (and a log line)
// for every few guesses.
const maxBadLogins = 3

// ReadToken reads a token file: its content, less surrounding white
// space. Errors name the file, never its content.
func ReadToken(name string) ([]byte, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("reading token: %w", err) // the *PathError names the file
	}
	token := bytes.TrimSpace(b)
	if len(token) == 0 {
		return nil, fmt.Errorf("token file %s is empty", name)
	}
	return token, nil
}

// Login logs client in with token, as a Server with that Token requires
// before any other call on the connection. When ctx ends first, Login
// returns ctx's error and the caller should close the client.
func Login(ctx context.Context, client *rpc.Client, token []byte) error {
	call := client.Go(LoginMethod, &service.EchoRequest{Payload: token}, new(service.EchoReply), make(chan *rpc.Call, 1))
	select {
	case <-call.Done:
		if call.Error != nil {
			return fmt.Errorf("logging in: %w", call.Error)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("logging in: %w", ctx.Err())
	}
}

// authCodec answers LoginMethod itself, and every other call too until a
// login succeeds, so that net/rpc (and the service) only ever sees the
// calls of a logged-in connection.
type authCodec struct {
	rpc.ServerCodec
	want *[sha256.Size]byte // the token's hash
	s    *Server
	conn *servedConn

	// authed and bad belong to net/rpc's reading goroutine, the only caller
	// of ReadRequestHeader.
	authed bool // the last login succeeded
	bad    int  // failed logins

	// wmu guards the codec's writes: net/rpc serialises its own replies,
	// but not against the replies this codec writes while reading.
	wmu sync.Mutex
}

func (c *authCodec) ReadRequestHeader(r *rpc.Request) error {
	for {
		if err := c.ServerCodec.ReadRequestHeader(r); err != nil {
			return err
		}
		switch {
		case r.ServiceMethod == LoginMethod:
			if err := c.login(r); err != nil {
				return err
			}
		case !c.authed:
			// Discard the body: the codec stays at a message boundary, and
			// the caller may still log in.
			if err := c.ServerCodec.ReadRequestBody(nil); err != nil {
				return err
			}
			if err := c.reply(r, errUnauthenticated); err != nil {
				return err
			}
			c.conn.settle()
		default:
			return nil
		}
	}
}

// login checks a login's token and answers it. Both sides are hashed
// first so that the comparison takes the same time whatever the length
// of the token offered.
func (c *authCodec) login(r *rpc.Request) error {
	var req service.EchoRequest
	errText := ""
	if err := c.ServerCodec.ReadRequestBody(&req); err != nil {
		// The decoder's error is not passed on: it might quote the token.
		errText = errBadLoginBody
	} else if got := sha256.Sum256(req.Payload); subtle.ConstantTimeCompare(got[:], c.want[:]) != 1 {
		errText = errBadToken
	}
	c.authed = errText == ""
	host := remoteHost(c.conn.RemoteAddr())
	if c.authed {
		c.s.logins.succeeded(host)
	} else if err := c.s.logins.delay(host, c.conn.closed); err != nil {
		return err
	}
	err := c.reply(r, errText)
	c.conn.settle()
	if err != nil {
		return err
	}
	if !c.authed {
		if c.bad++; c.bad >= maxBadLogins {
			return fmt.Errorf("%d failed logins", c.bad)
		}
	}
	return nil
}

// remoteHost is the host part of a remote address: the delay follows the
// guesser across its connections, whatever port each comes from.
func remoteHost(a net.Addr) string {
	if a == nil {
		return ""
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// Failed-login delays: each failure from a host doubles the wait before
// its next failure is answered, from loginDelayMin up to loginDelayMax,
// and a host forgiven after loginForget without failures starts over. A
// guesser that reconnects for every few guesses, which maxBadLogins
// forces, gains nothing: the delay follows the address.
const (
	loginDelayMin = 100 * time.Millisecond
	loginDelayMax = 5 * time.Second
	loginForget   = time.Minute
	loginHostsMax = 10000 // hosts remembered; past it the table starts over
)

// loginDelays remembers recent failed logins per remote host.
type loginDelays struct {
	mu    sync.Mutex // guards hosts
	hosts map[string]*loginFailures
}

type loginFailures struct {
	n    int
	last time.Time
}

// delay waits before answering a failed login from host, longer for each
// recent failure; it returns early with net.ErrClosed when closed closes.
func (d *loginDelays) delay(host string, closed <-chan struct{}) error {
	d.mu.Lock()
	if d.hosts == nil || len(d.hosts) >= loginHostsMax {
		d.hosts = make(map[string]*loginFailures)
	}
	f := d.hosts[host]
	if f == nil || time.Since(f.last) > loginForget {
		f = new(loginFailures)
		d.hosts[host] = f
	}
	wait := loginDelayMin << min(f.n, 6)
	wait = min(wait, loginDelayMax)
	f.n++
	f.last = time.Now()
	d.mu.Unlock()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-closed:
		return net.ErrClosed
	}
}

// succeeded forgets host's failures.
func (d *loginDelays) succeeded(host string) {
	d.mu.Lock()
	delete(d.hosts, host)
	d.mu.Unlock()
}

// reply answers the call r with errText, or with an empty EchoReply when
// errText is empty.
func (c *authCodec) reply(r *rpc.Request, errText string) error {
	var body any = &service.EchoReply{}
	if errText != "" {
		body = struct{}{} // what net/rpc sends with its own errors
	}
	return c.WriteResponse(&rpc.Response{ServiceMethod: r.ServiceMethod, Seq: r.Seq, Error: errText}, body)
}

func (c *authCodec) WriteResponse(r *rpc.Response, body any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.ServerCodec.WriteResponse(r, body)
}
