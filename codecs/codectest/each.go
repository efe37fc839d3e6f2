package codectest

import (
	"testing"

	"github.com/rpcbench/rpcbench/codecs"
)

// EachCodec runs test once for each registered codec named, as a subtest
// named after it: a format's interop tests run over every library that
// writes it.
func EachCodec(t *testing.T, names []string, test func(t *testing.T, c codecs.Codec)) {
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			c, err := codecs.Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			test(t, c)
		})
	}
}
