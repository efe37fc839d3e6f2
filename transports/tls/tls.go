// Package tls is TCP with TLS 1.3. The serving half makes itself a
// self-signed certificate when given none; either half can present and
// demand certificates.
package tls

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	stdtls "crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"strings"
	"time"

	"github.com/rpcbench/rpcbench/transports"
	"github.com/rpcbench/rpcbench/transports/internal/connset"
	"github.com/rpcbench/rpcbench/transports/internal/handshake"
	"github.com/rpcbench/rpcbench/transports/tcp"
)

func init() { transports.MustRegister(Transport{}) }

// Transport is TLS 1.3 over TCP. See transports.Config for the
// certificate fields.
//
// The serving half handshakes each connection in a goroutine of its own,
// bounded by a deadline, before Accept yields it, so a client that stalls
// or speaks something else cannot hold up the others; failures are
// reported through Config.Logf. The calling half's Conn returns after its
// handshake. In TLS 1.3 the server checks a client certificate after the
// client's handshake is done, so a client the server refuses learns it
// from its first Read ("remote error: tls: certificate required").
type Transport struct{}

func (Transport) Name() string { return "tls" }

// Listener is the serving half's listener.
type Listener struct {
	*handshake.Listener
	fingerprint string
}

// Fingerprint is the SHA-256 fingerprint of the listener's certificate, in
// the form `openssl x509 -fingerprint -sha256` prints.
func (l *Listener) Fingerprint() string { return l.fingerprint }

// Fingerprint returns the certificate fingerprint of a tls serving half's
// listener, looking through wrappers (such as network emulation's) that
// have an Unwrap method; ok is false for any other listener.
func Fingerprint(l net.Listener) (fingerprint string, ok bool) {
	for {
		switch v := l.(type) {
		case *Listener:
			return v.fingerprint, true
		case interface{ Unwrap() net.Listener }:
			l = v.Unwrap()
		default:
			return "", false
		}
	}
}

// Serve listens on cfg.Addr (127.0.0.1:0 when empty) with cfg.CertFile and
// cfg.KeyFile, or a self-signed certificate, whose fingerprint it reports
// through cfg.Logf. With cfg.ClientCAFile it requires client certificates
// signed by those CAs.
func (Transport) Serve(ctx context.Context, cfg transports.Config) (net.Listener, error) {
	conf, fp, err := ServerConfig(cfg)
	if err != nil {
		return nil, err
	}
	inner, err := tcp.Transport{}.Serve(ctx, cfg)
	if err != nil {
		return nil, err
	}
	hs := func(c net.Conn) (net.Conn, error) {
		tc := stdtls.Server(c, conf)
		return newConn(tc), tc.Handshake()
	}
	logf := func(format string, args ...any) { cfg.Printf("tls: "+format, args...) }
	l := &Listener{Listener: handshake.NewListener(inner, hs, logf), fingerprint: fp}
	if cfg.CertFile == "" {
		logf("serving on %s with a self-signed certificate, SHA-256 fingerprint %s", l.Addr(), l.fingerprint)
	}
	return l, nil
}

// ServerConfig is the TLS 1.3 configuration of the side that accepts:
// cfg.CertFile and cfg.KeyFile, or a self-signed certificate made now
// when both are empty, and, with cfg.ClientCAFile, client certificates
// required and verified against those CAs. fingerprint is the
// certificate's, for the log. The reverse transport uses it for its
// listening (calling) half.
func ServerConfig(cfg transports.Config) (conf *stdtls.Config, fingerprint string, err error) {
	conf = &stdtls.Config{MinVersion: stdtls.VersionTLS13}
	var cert stdtls.Certificate
	if cfg.CertFile == "" && cfg.KeyFile == "" {
		cert, err = selfSignedCertificate()
	} else {
		cert, err = loadKeyPair(cfg.CertFile, cfg.KeyFile)
	}
	if err != nil {
		return nil, "", err
	}
	conf.Certificates = []stdtls.Certificate{cert}
	if cfg.ClientCAFile != "" {
		if conf.ClientCAs, err = loadPool(cfg.ClientCAFile); err != nil {
			return nil, "", err
		}
		conf.ClientAuth = stdtls.RequireAndVerifyClientCert
	}
	return conf, fingerprintOf(cert.Certificate[0]), nil
}

// selfSignedCertificate makes an ECDSA P-256 certificate for localhost and
// the loopback addresses, valid for a year.
func selfSignedCertificate() (stdtls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return stdtls.Certificate{}, fmt.Errorf("tls: making a key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return stdtls.Certificate{}, fmt.Errorf("tls: making a serial number: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "rpcbench self-signed"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return stdtls.Certificate{}, fmt.Errorf("tls: making a self-signed certificate: %w", err)
	}
	return stdtls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// fingerprintOf formats the SHA-256 of a DER certificate as openssl does:
// upper-case hex pairs joined by colons.
func fingerprintOf(der []byte) string {
	sum := sha256.Sum256(der)
	pairs := make([]string, len(sum))
	for i, b := range sum {
		pairs[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(pairs, ":")
}

// normalizePin reduces a fingerprint to lower-case hex without separators.
func normalizePin(s string) string {
	return strings.ToLower(strings.NewReplacer(":", "", " ", "").Replace(s))
}

func loadKeyPair(certFile, keyFile string) (stdtls.Certificate, error) {
	if certFile == "" || keyFile == "" {
		return stdtls.Certificate{}, fmt.Errorf("tls: a certificate needs both files: certificate %q, key %q", certFile, keyFile)
	}
	cert, err := stdtls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return stdtls.Certificate{}, fmt.Errorf("tls: loading certificate %s and key %s: %w", certFile, keyFile, err)
	}
	return cert, nil
}

func loadPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("tls: reading CA certificates: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("tls: no PEM certificate in CA file %s", file)
	}
	return pool, nil
}

// Call dials cfg.Addr for each connection and verifies the server against
// cfg.CAFile (the system's roots when empty) unless cfg.Insecure, showing
// the client certificate cfg.CertFile/cfg.KeyFile when given.
func (Transport) Call(ctx context.Context, cfg transports.Config) (transports.Caller, error) {
	if cfg.Addr == "" {
		return nil, errors.New("tls: no address to dial (Config.Addr is empty)")
	}
	conf, err := ClientConfig(cfg)
	if err != nil {
		return nil, err
	}
	addr, err := net.ResolveTCPAddr("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	return &caller{addr: addr, dialer: &stdtls.Dialer{Config: conf}}, nil
}

// ClientConfig is the TLS 1.3 configuration of the side that dials
// cfg.Addr: the server verified against cfg.CAFile (the system's roots
// when empty) unless cfg.Insecure, and cfg.CertFile/cfg.KeyFile shown as
// the client certificate when given. The reverse transport uses it for
// its dialling (serving) half.
func ClientConfig(cfg transports.Config) (*stdtls.Config, error) {
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("tls: address %q: %w", cfg.Addr, err)
	}
	conf := &stdtls.Config{
		MinVersion:         stdtls.VersionTLS13,
		ServerName:         host,
		InsecureSkipVerify: cfg.Insecure,
	}
	if cfg.Pin != "" {
		want := normalizePin(cfg.Pin)
		if len(want) != 64 {
			return nil, fmt.Errorf("tls: pin %q: want a SHA-256 fingerprint, 32 hex pairs such as serve logs", cfg.Pin)
		}
		conf.InsecureSkipVerify = true // the pin replaces verification against CAs
		conf.VerifyConnection = func(cs stdtls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("tls: the server showed no certificate to check against the pin")
			}
			if got := fingerprintOf(cs.PeerCertificates[0].Raw); normalizePin(got) != want {
				return fmt.Errorf("tls: the server's certificate has fingerprint %s, not the pinned %s", got, cfg.Pin)
			}
			return nil
		}
	}
	if cfg.CAFile != "" {
		if conf.RootCAs, err = loadPool(cfg.CAFile); err != nil {
			return nil, err
		}
	}
	if cfg.CertFile != "" || cfg.KeyFile != "" {
		cert, err := loadKeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, err
		}
		// Always show it, even when the server's list of acceptable CAs
		// does not name its issuer (the default would then send nothing),
		// so that the server's error names the real problem.
		conf.GetClientCertificate = func(*stdtls.CertificateRequestInfo) (*stdtls.Certificate, error) {
			return &cert, nil
		}
	}
	return conf, nil
}

type caller struct {
	addr   *net.TCPAddr
	dialer *stdtls.Dialer
	conns  connset.Set
}

// Conn dials and completes the handshake.
func (c *caller) Conn(ctx context.Context) (net.Conn, error) {
	conn, err := c.dialer.DialContext(ctx, "tcp", c.addr.String())
	if err != nil {
		return nil, fmt.Errorf("tls: connecting to %s: %w", c.addr, err)
	}
	tc, err := c.conns.Add(newConn(conn.(*stdtls.Conn)))
	if err != nil {
		return nil, err
	}
	return tc, nil
}

func (c *caller) Addr() net.Addr { return c.addr }

func (c *caller) Close() error {
	c.conns.Close()
	return nil
}
