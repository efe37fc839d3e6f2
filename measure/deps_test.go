package measure_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os/exec"
	"path/filepath"
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

// No package of the module exports a variable that another could change
// under it: a table, a default or a registry is a function returning a
// fresh value (DESIGN 12). Sentinel errors (ErrX) and generated code are
// the exceptions.
func TestNoExportedMutableGlobals(t *testing.T) {
	fset := token.NewFileSet()
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && (d.Name() == "testdata" || d.Name() == "examples" || d.Name() == "results" || strings.HasPrefix(d.Name(), ".")) && path != "..":
			return filepath.SkipDir
		case d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go"):
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		if ast.IsGenerated(f) {
			return nil
		}
		for _, decl := range f.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, spec := range g.Specs {
				for _, name := range spec.(*ast.ValueSpec).Names {
					if name.IsExported() && !strings.HasPrefix(name.Name, "Err") {
						t.Errorf("%s: exported variable %s: make it a function returning a fresh value", fset.Position(name.Pos()), name.Name)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
