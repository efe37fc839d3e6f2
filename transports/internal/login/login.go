// Package login is a worker's proof that it holds the token
// (transports.Config.Token) before the side it dialled sends it any call:
// the reverse and duplex transports' login.
package login

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
)

// The worker's login: the side it dialled sends a
// fresh random challenge of challengeSize bytes; the worker answers with
// HMAC-SHA256(token, loginLabel || challenge). The token never crosses the
// wire, an answer is good for one challenge only, and the calling half
// compares in constant time. Nothing else precedes the codec's bytes.
const (
	challengeSize = 32
	loginLabel    = "rpcbench reverse worker login v1\n"
)

var errBadProof = errors.New("worker's answer to the login challenge is wrong: it does not hold the token")

func proof(token, chal []byte) []byte {
	m := hmac.New(sha256.New, token)
	m.Write([]byte(loginLabel))
	m.Write(chal)
	return m.Sum(nil)
}

// Prove answers the challenge of the side it dialled on c with token.
func Prove(c net.Conn, token []byte) error {
	chal := make([]byte, challengeSize)
	if _, err := io.ReadFull(c, chal); err != nil {
		return fmt.Errorf("reading the login challenge: %w", err)
	}
	if _, err := c.Write(proof(token, chal)); err != nil {
		return fmt.Errorf("answering the login challenge: %w", err)
	}
	return nil
}

// Challenge makes the worker on c prove it holds token.
func Challenge(c net.Conn, token []byte) error {
	chal := make([]byte, challengeSize)
	rand.Read(chal)
	if _, err := c.Write(chal); err != nil {
		return fmt.Errorf("sending the login challenge: %w", err)
	}
	got := make([]byte, sha256.Size)
	if _, err := io.ReadFull(c, got); err != nil {
		return fmt.Errorf("reading the worker's login: %w", err)
	}
	if !hmac.Equal(got, proof(token, chal)) {
		return errBadProof
	}
	return nil
}
