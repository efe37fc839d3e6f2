package codecs_test

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/rpcbench/rpcbench/codecs"
)

// TestLibrariesAreGoModsVersions checks that every built-in codec names its
// library, at the version go.mod requires: the library a table says it
// measured is the one built.
func TestLibrariesAreGoModsVersions(t *testing.T) {
	gomod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range codecs.Names() {
		c, err := codecs.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		l, ok := c.(codecs.Library)
		if !ok {
			// Codecs registered by other tests need not name one.
			if strings.HasPrefix(reflect.TypeOf(c).PkgPath(), "github.com/rpcbench/rpcbench/codecs/") {
				t.Errorf("%s names no library", name)
			}
			continue
		}
		for lib := range strings.SplitSeq(l.Library(), ", ") {
			if strings.HasSuffix(lib, "(standard library)") {
				continue
			}
			if path, version, ok := strings.Cut(lib, " "); !ok || !strings.Contains(string(gomod), "\n\t"+path+" "+version+"\n") {
				t.Errorf("%s's library %q is not a module and version that go.mod requires", name, lib)
			}
		}
	}
}

// TestIdentify checks that a variant is grouped with the codec whose bytes
// it writes, and that a format named like a variant (thrift-compact) is one
// of its own.
func TestIdentify(t *testing.T) {
	for name, want := range map[string]codecs.Identity{
		"json":           {Format: "json", Library: "github.com/goccy/go-json"},
		"json-segmentio": {Format: "json", Library: "github.com/segmentio/encoding"},
		"msgpack":        {Format: "msgpack", Library: "github.com/vmihailenco/msgpack/v5"},
		"msgpack-msgp":   {Format: "msgpack", Library: "github.com/tinylib/msgp"},
		"thrift-compact": {Format: "thrift-compact", Library: "github.com/apache/thrift"},
		"gob":            {Format: "gob", Library: "encoding/gob"},
	} {
		if got, ok := codecs.Identify(name); !ok || got != want {
			t.Errorf("Identify(%q) = %+v, %v; want %+v", name, got, ok, want)
		}
	}
	if got, ok := codecs.Identify("no-such-codec"); ok {
		t.Errorf("Identify of an unknown codec = %+v, true", got)
	}
	for _, name := range codecs.Names() {
		if id, _ := codecs.Identify(name); !slices.Contains(codecs.Names(), id.Format) {
			t.Errorf("%s speaks the format of %q, which is no codec", name, id.Format)
		}
	}
}
