// Package module names the library a codec's encoding comes from: its
// module path and the version the running binary was built with.
package module

import "runtime/debug"

// pinned is go.mod's version of each library a codec names, for a binary
// that records no modules (a test binary): TestPinnedIsGoMod holds it to
// go.mod.
var pinned = map[string]string{
	"github.com/apache/thrift":          "v0.17.0",
	"github.com/goccy/go-json":          "v0.12.0",
	"github.com/planetscale/vtprotobuf": "v0.6.1-0.20240319094008-0393e58bdf10",
	"github.com/segmentio/encoding":     "v0.5.4",
	"github.com/tinylib/msgp":           "v1.6.5",
	"github.com/vmihailenco/msgpack/v5": "v5.4.1",
	"google.golang.org/protobuf":        "v1.36.12",
}

// Version returns "path version" for the module path: the version the
// running binary was built with (a replacement's, where go.mod replaces
// it; a module that requires rpcbench may have chosen a newer one), or
// go.mod's where the binary records none.
func Version(path string) string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path != path {
				continue
			}
			if dep.Replace != nil {
				dep = dep.Replace
			}
			return path + " " + dep.Version
		}
	}
	if v, ok := pinned[path]; ok {
		return path + " " + v
	}
	return path
}
