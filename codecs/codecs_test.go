package codecs_test

import (
	"errors"
	"io"
	"net/rpc"
	"slices"
	"strings"
	"testing"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/codecs/gob"
	"github.com/rpcbench/rpcbench/codecs/rpcparams"
)

func TestRegistry(t *testing.T) {
	names := codecs.Names()
	if len(names) == 0 {
		t.Fatal("Names() is empty")
	}
	for _, name := range names {
		c, err := codecs.Lookup(name)
		if err != nil {
			t.Errorf("Lookup(%q): %v (registered: %v)", name, err, names)
			continue
		}
		if c.Name() != name {
			t.Errorf("Lookup(%q).Name() = %q", name, c.Name())
		}
	}
	seen := make(map[string]bool)
	for _, name := range names {
		if seen[name] {
			t.Errorf("Names() = %v lists %q twice", names, name)
		}
		seen[name] = true
	}
	_, err := codecs.Lookup("xml")
	if err == nil || !strings.Contains(err.Error(), `"xml"`) || !errors.Is(err, codecs.ErrUnknown) {
		t.Errorf(`Lookup("xml") error = %v; want ErrUnknown naming "xml"`, err)
	}
}

// fake is a codec a test registers; it never carries a call.
type fake struct {
	name string
	max  int
}

func (f fake) Name() string                                    { return f.name }
func (fake) NewClientCodec(io.ReadWriteCloser) rpc.ClientCodec { return nil }
func (fake) NewServerCodec(io.ReadWriteCloser) rpc.ServerCodec { return nil }

// capped is a fake that takes --max-message.
type capped struct{ fake }

func (c capped) WithMaxMessage(n int) codecs.Codec { c.max = n; return c }

func TestRegister(t *testing.T) {
	if err := codecs.Register(fake{name: "test-fake"}); err != nil {
		t.Fatalf("Register(test-fake): %v", err)
	}
	if err := codecs.Register(capped{fake{name: "test-capped"}}); err != nil {
		t.Fatalf("Register(test-capped): %v", err)
	}
	names := codecs.Names()
	if got := names[len(names)-2:]; !slices.Equal(got, []string{"test-fake", "test-capped"}) {
		t.Errorf("Names() ends %v; want the registered codecs last, in order", got)
	}
	for _, bad := range []struct {
		name  string
		codec codecs.Codec
	}{
		{"a name taken by a registered codec", fake{name: "test-fake"}},
		{"a built-in codec's name", gob.Codec{}},
		{"an empty name", fake{}},
		{"a name with a comma", fake{name: "a,b"}},
		{"a name with a slash", fake{name: "a/b"}},
	} {
		t.Run(bad.name+" is refused", func(t *testing.T) {
			err := codecs.Register(bad.codec)
			if err == nil {
				t.Fatalf("Register(%q) succeeded", bad.codec.Name())
			}
			if !strings.Contains(err.Error(), `"`+bad.codec.Name()+`"`) {
				t.Errorf("Register(%q) error %q does not name it", bad.codec.Name(), err)
			}
		})
	}
	if n := len(codecs.Names()); n != len(names) {
		t.Errorf("refused registrations changed Names() from %d to %d codecs", len(names), n)
	}

	t.Run("the cap reaches a codec that takes it", func(t *testing.T) {
		c, err := codecs.New("test-capped", codecs.Options{MaxMessage: 1234})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.(capped).max; got != 1234 {
			t.Errorf("New(test-capped, MaxMessage 1234) has cap %d", got)
		}
		if c, _ := codecs.Lookup("test-capped"); c.(capped).max != 0 {
			t.Errorf("Lookup(test-capped) has cap %d; want the codec's default (0)", c.(capped).max)
		}
		if c, err := codecs.New("test-fake", codecs.Options{MaxMessage: 1234}); err != nil || c.Name() != "test-fake" {
			t.Errorf("New(test-fake, MaxMessage 1234) = %v, %v; want the codec as registered", c, err)
		}
	})
}

func TestMustRegisterPanicsOnADuplicate(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustRegister of a built-in's name did not panic")
		}
	}()
	codecs.MustRegister(gob.Codec{})
}

// What a codec can carry is said by the interfaces it implements, never by
// its name: the library variants of a format inherit their format's.
func TestWhatACodecCarriesIsItsType(t *testing.T) {
	for _, name := range codecs.Names() {
		c, err := codecs.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		lists := strings.HasPrefix(name, "json") || strings.HasPrefix(name, "msgpack")
		if got := rpcparams.Supported(c); got != lists {
			t.Errorf("%s: sends a params list %v; want %v", name, got, lists)
		}
		structs := strings.HasPrefix(name, "thrift")
		if got := codecs.StructsOnly(c); got != structs {
			t.Errorf("%s: generated structs only %v; want %v", name, got, structs)
		}
	}
}
