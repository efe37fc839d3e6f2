package codecs_test

import (
	"strings"
	"testing"

	"github.com/rpcbench/rpcbench/codecs"
)

func TestRegistry(t *testing.T) {
	want := []string{"gob", "json", "msgpack", "protobuf", "thrift", "thrift-compact"}
	names := codecs.Names()
	for _, name := range want {
		c, err := codecs.Lookup(name)
		if err != nil {
			t.Errorf("Lookup(%q): %v (registered: %v)", name, err, names)
			continue
		}
		if c.Name() != name {
			t.Errorf("Lookup(%q).Name() = %q", name, c.Name())
		}
	}
	if len(names) != len(want) {
		t.Errorf("Names() = %v; want %v", names, want)
	}
	_, err := codecs.Lookup("xml")
	if err == nil || !strings.Contains(err.Error(), `"xml"`) {
		t.Errorf(`Lookup("xml") error = %v; want one naming "xml"`, err)
	}
}
