package tls_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	stdtls "crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/rpcbench/rpcbench/internal/poll"
	"github.com/rpcbench/rpcbench/stack"
	"github.com/rpcbench/rpcbench/transports"
	"github.com/rpcbench/rpcbench/transports/tcp"
	"github.com/rpcbench/rpcbench/transports/tls"
	"github.com/rpcbench/rpcbench/transports/transporttest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConformanceSelfSigned(t *testing.T) {
	transporttest.Run(t, tls.Transport{}, transports.Config{Insecure: true})
}

func TestConformanceMutual(t *testing.T) {
	pki := newPKI(t)
	transporttest.Run(t, tls.Transport{}, pki.mutual())
}

// pki is a CA with a server and a client certificate, and a second CA
// that signed neither, as PEM files.
type pki struct {
	ca, otherCA               string
	serverCert, serverKey     string
	clientCert, clientKey     string
	strangerCert, strangerKey string // a client certificate from otherCA
}

// mutual is a Config under which both halves verify each other. The
// serving half ignores CAFile and the calling half ClientCAFile, so one
// Config serves both.
func (p *pki) mutual() transports.Config {
	return transports.Config{
		CertFile: p.serverCert, KeyFile: p.serverKey, ClientCAFile: p.ca, CAFile: p.ca,
	}
}

func newPKI(t *testing.T) *pki {
	dir := t.TempDir()
	p := &pki{}
	caCert, caKey := makeCert(t, dir, "ca", nil, nil, &p.ca, nil)
	otherCert, otherKey := makeCert(t, dir, "other-ca", nil, nil, &p.otherCA, nil)
	makeCert(t, dir, "server", caCert, caKey, &p.serverCert, &p.serverKey)
	makeCert(t, dir, "client", caCert, caKey, &p.clientCert, &p.clientKey)
	makeCert(t, dir, "stranger", otherCert, otherKey, &p.strangerCert, &p.strangerKey)
	return p
}

// makeCert writes a certificate named name, signed by parent (self-signed
// CA when nil), to dir, storing its paths in certFile and keyFile.
func makeCert(t *testing.T, dir, name string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, certFile, keyFile *string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	if parent == nil {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage |= x509.KeyUsageCertSign
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	*certFile = filepath.Join(dir, name+".pem")
	writePEM(t, *certFile, "CERTIFICATE", der)
	if keyFile != nil {
		kder, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		*keyFile = filepath.Join(dir, name+"-key.pem")
		writePEM(t, *keyFile, "EC PRIVATE KEY", kder)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func writePEM(t *testing.T, file, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// logLines collects Logf output.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

// waitFor waits until a logged line contains substr.
func (l *logLines) waitFor(t *testing.T, substr string) {
	t.Helper()
	err := poll.Within(10*time.Second, func() error {
		l.mu.Lock()
		defer l.mu.Unlock()
		for _, line := range l.lines {
			if strings.Contains(line, substr) {
				return nil
			}
		}
		return fmt.Errorf("serving half logged nothing containing %q; log:\n%s", substr, strings.Join(l.lines, "\n"))
	})
	if err != nil {
		t.Error(err)
	}
}

// server is a tls serving half that echoes on every connection.
type server struct {
	l   net.Listener
	log logLines
}

func serve(t *testing.T, cfg transports.Config) *server {
	t.Helper()
	s := &server{}
	cfg.Logf = s.log.logf
	l, err := tls.Transport{}.Serve(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.l = l
	each := stack.ServeEach(l, func(c net.Conn) { io.Copy(c, c) })
	t.Cleanup(func() { each.Close() })
	return s
}

// echo dials s with cfg and checks that bytes come back: the error is the
// first failure, from Conn or from the exchange.
func (s *server) echo(cfg transports.Config) error {
	cfg.Addr = s.l.Addr().String()
	caller, err := tls.Transport{}.Call(context.Background(), cfg)
	if err != nil {
		return err
	}
	defer caller.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := caller.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, "hello"); err != nil {
		return err
	}
	got := make([]byte, 5)
	if _, err := io.ReadFull(c, got); err != nil {
		return err
	}
	if string(got) != "hello" {
		return fmt.Errorf("echoed %q", got)
	}
	return nil
}

func TestSelfSignedFingerprintMatchesTheCertificateServed(t *testing.T) {
	s := serve(t, transports.Config{})
	fp, ok := tls.Fingerprint(s.l)
	if !ok {
		t.Fatalf("Fingerprint(%T) found no tls listener", s.l)
	}
	c, err := stdtls.Dial("tcp", s.l.Addr().String(), &stdtls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	state := c.ConnectionState()
	leaf := state.PeerCertificates[0]
	sum := sha256.Sum256(leaf.Raw)
	if want := strings.ToUpper(hex.EncodeToString(sum[:])); strings.ReplaceAll(fp, ":", "") != want {
		t.Errorf("Fingerprint = %s, served certificate's SHA-256 is %s", fp, want)
	}
	if _, ok := leaf.PublicKey.(*ecdsa.PublicKey); !ok || leaf.PublicKeyAlgorithm != x509.ECDSA {
		t.Errorf("self-signed key is %v, want ECDSA P-256", leaf.PublicKeyAlgorithm)
	}
	if state.Version != stdtls.VersionTLS13 {
		t.Errorf("negotiated TLS version %x, want 1.3", state.Version)
	}
	s.log.waitFor(t, fp)
}

func TestVerificationFailures(t *testing.T) {
	p := newPKI(t)
	tests := []struct {
		name      string
		server    transports.Config
		client    transports.Config
		clientErr string // in the error the calling half sees
		serverLog string // in what the serving half logs
	}{
		{
			name:      "self-signed server against a verifying client",
			server:    transports.Config{},
			client:    transports.Config{CAFile: p.ca},
			clientErr: "certificate signed by unknown authority",
			serverLog: "bad certificate",
		},
		{
			name:      "server certificate from a CA the client does not trust",
			server:    transports.Config{CertFile: p.serverCert, KeyFile: p.serverKey},
			client:    transports.Config{CAFile: p.otherCA},
			clientErr: "certificate signed by unknown authority",
			serverLog: "bad certificate",
		},
		{
			name:      "client without a certificate where one is required",
			server:    p.mutual(),
			client:    transports.Config{CAFile: p.ca},
			clientErr: "certificate required",
			serverLog: "client didn't provide a certificate",
		},
		{
			name:      "client certificate from a CA the server does not trust",
			server:    p.mutual(),
			client:    transports.Config{CAFile: p.ca, CertFile: p.strangerCert, KeyFile: p.strangerKey},
			clientErr: "unknown certificate authority",
			serverLog: "certificate signed by unknown authority",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := serve(t, tt.server)
			err := s.echo(tt.client)
			if err == nil || !strings.Contains(err.Error(), tt.clientErr) {
				t.Errorf("calling half: got %v, want an error containing %q", err, tt.clientErr)
			}
			s.log.waitFor(t, tt.serverLog)
			// The serving half still serves a client it accepts.
			good := transports.Config{Insecure: true}
			if tt.server.ClientCAFile != "" {
				good = transports.Config{CAFile: p.ca, CertFile: p.clientCert, KeyFile: p.clientKey}
			}
			if err := s.echo(good); err != nil {
				t.Errorf("a good client after the bad one: %v", err)
			}
		})
	}
}

func TestPlainTCPAgainstTLS(t *testing.T) {
	s := serve(t, transports.Config{})
	c, err := net.Dial("tcp", s.l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "CONNECT /_goRPC_ HTTP/1.0\n\n")
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadAll(c); err != nil {
		t.Errorf("plain client: the server should answer and close, got %v", err)
	}
	s.log.waitFor(t, "does not look like a TLS handshake")
}

func TestTLSAgainstPlainTCP(t *testing.T) {
	l, err := tcp.Transport{}.Serve(context.Background(), transports.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.0 400 Bad Request\r\n\r\n")
		c.Close()
	}()
	caller, err := tls.Transport{}.Call(context.Background(), transports.Config{Addr: l.Addr().String(), Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Close()
	_, err = caller.Conn(context.Background())
	if err == nil || !strings.Contains(err.Error(), "does not look like a TLS handshake") {
		t.Errorf("got %v, want an error saying the server does not speak TLS", err)
	}
}

func TestStalledClientDoesNotBlockOthers(t *testing.T) {
	s := serve(t, transports.Config{})
	stalled, err := net.Dial("tcp", s.l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	if err := s.echo(transports.Config{Insecure: true}); err != nil {
		t.Errorf("a client behind a stalled one: %v", err)
	}
}

func TestConfigErrorsNameTheFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.pem")
	tests := []struct {
		name string
		call bool
		cfg  transports.Config
		want string
	}{
		{"certificate without key", false, transports.Config{CertFile: missing}, `key ""`},
		{"unreadable certificate", false, transports.Config{CertFile: missing, KeyFile: missing}, missing},
		{"unreadable client CA", false, transports.Config{ClientCAFile: missing}, missing},
		{"unreadable CA", true, transports.Config{Addr: "127.0.0.1:1", CAFile: missing}, missing},
		{"address without port", true, transports.Config{Addr: "localhost"}, `"localhost"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.call {
				_, err = tls.Transport{}.Call(context.Background(), tt.cfg)
			} else {
				var l net.Listener
				if l, err = (tls.Transport{}).Serve(context.Background(), tt.cfg); err == nil {
					l.Close()
				}
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error naming %s", err, tt.want)
			}
		})
	}
}
