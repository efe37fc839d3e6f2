package codecs_test

import (
	"os"
	"reflect"
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
