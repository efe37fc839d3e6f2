package measure_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The packages that only read and write results stay light (DESIGN 12):
// reading a JSON file must not pull in gRPC, Thrift, yamux or the engine.
func TestReadersDoNotImportTheEngine(t *testing.T) {
	readers := []string{"format", "report", "merge", "hdrlog", "compare", "gate", "profile"}
	// The engine (harness's root package) exactly; the rest with what is
	// under them.
	heavy := []string{"google.golang.org/grpc", "github.com/apache/thrift", "github.com/hashicorp/yamux",
		"github.com/rpcbench/rpcbench/stack", "github.com/rpcbench/rpcbench/transports"}
	for _, r := range readers {
		pkg := "github.com/rpcbench/rpcbench/harness/" + r
		for _, dep := range deps(t, pkg) {
			if dep == "github.com/rpcbench/rpcbench/harness" {
				t.Errorf("%s depends on the engine", pkg)
			}
			for _, h := range heavy {
				if dep == h || strings.HasPrefix(dep, h+"/") {
					t.Errorf("%s depends on %s", pkg, dep)
				}
			}
		}
	}
}

// measure is the leaf: the standard library, hdrhistogram and x/perf's
// benchfmt (with what benchfmt itself needs) only.
func TestMeasureIsALeaf(t *testing.T) {
	allowed := []string{"github.com/rpcbench/rpcbench/measure", "github.com/HdrHistogram/hdrhistogram-go",
		"golang.org/x/perf/", "github.com/aclements/go-moremath/"}
	for _, dep := range deps(t, "github.com/rpcbench/rpcbench/measure") {
		first, _, _ := strings.Cut(dep, "/")
		if !strings.Contains(first, ".") {
			continue // the standard library
		}
		ok := false
		for _, a := range allowed {
			ok = ok || dep == a || strings.HasPrefix(dep, a)
		}
		if !ok {
			t.Errorf("measure depends on %s", dep)
		}
	}
}

func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}
