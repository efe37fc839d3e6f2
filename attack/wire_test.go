package attack_test

import (
	"testing"

	"github.com/rpcbench/rpcbench/codecs"
	wire "github.com/rpcbench/rpcbench/codecs/hostile"
)

// huge is the length the attacks claim (hostile.Huge).
const huge = wire.Huge

// formatOf returns codec's wire format, as the codec describes it
// (hostile.Describer). A codec that does not describe itself fails the
// test: a new codec is attacked too, or says why not.
func formatOf(t *testing.T, codec string) wire.Format {
	t.Helper()
	c, err := codecs.Lookup(codec)
	if err != nil {
		t.Fatal(err)
	}
	d, ok := c.(wire.Describer)
	if !ok {
		t.Fatalf("codec %q (%T) does not describe its wire format to the attacks: give it a Hostile() hostile.Format method", codec, c)
	}
	f := d.Hostile()
	if f.Endless == nil && f.Prefix != nil {
		f.Endless = f.Prefix(huge)
	}
	return f
}

// requests returns the bytes a fresh client of codec writes for n calls
// of the built-in service, cycling through the hostile package's calls.
func requests(t testing.TB, codec string, n int) []byte {
	t.Helper()
	c, err := codecs.Lookup(codec)
	if err != nil {
		t.Fatal(err)
	}
	return wire.Requests(c, n)
}
