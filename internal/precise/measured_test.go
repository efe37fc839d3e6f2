package precise

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The files whose waits are measured quantities (DESIGN 11): a server's
// --work and --stall, the open-loop schedule, the watch setter, --net's
// pacing. They must wait with this package (or the harness's Clock, whose
// real timer is this package's), never with Go's timers. Paths are from the
// module root; a pattern may glob; test files are not checked.
var waitPrecisely = []string{
	"service/delay.go",
	"harness/clock.go", // the real Clock's timer, which the rest wait with
	"harness/schedule.go",
	"harness/call.go",
	"harness/workload.go",
	"harness/watch.go",
	"transports/netem/conn.go", // delivery and pacing; deadline.go holds its deadlines, on Go's timers
}

// Measured paths still on Go's timers when this test was written: their
// owners move each entry up to waitPrecisely once it is clean, which turns
// its check on. Until then the test only logs their calls.
var notYetPrecise = []string{}

// goTimers are the functions of package time that wait with Go's timers.
var goTimers = map[string]bool{"Sleep": true, "NewTimer": true, "After": true, "AfterFunc": true, "NewTicker": true, "Tick": true}

func TestMeasuredWaitsArePrecise(t *testing.T) {
	for _, pattern := range waitPrecisely {
		for _, call := range goTimerCalls(t, pattern) {
			t.Errorf("%s waits with Go's timer, about 1ms late below 1ms: wait with internal/precise", call)
		}
	}
	var pending []string
	for _, pattern := range notYetPrecise {
		pending = append(pending, goTimerCalls(t, pattern)...)
	}
	if len(pending) > 0 {
		t.Logf("not checked yet (notYetPrecise), still on Go's timers:\n%s", strings.Join(pending, "\n"))
	}
}

// goTimerCalls returns "file:line: time.F" for each use of goTimers in the
// non-test files that pattern names; a pattern that names none fails t,
// so that a moved file is not silently unchecked.
func goTimerCalls(t *testing.T, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", filepath.FromSlash(pattern)))
	if err != nil {
		t.Fatal(err)
	}
	var calls []string
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		checked++
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		pkg := timeImportName(f)
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == pkg && goTimers[sel.Sel.Name] {
				pos := fset.Position(sel.Pos())
				rel, _ := filepath.Rel(filepath.Join("..", ".."), pos.Filename)
				calls = append(calls, filepath.ToSlash(rel)+":"+strconv.Itoa(pos.Line)+": time."+sel.Sel.Name)
			}
			return true
		})
	}
	if checked == 0 {
		t.Errorf("%s names no Go file: update the lists in this test", pattern)
	}
	return calls
}

// timeImportName is what f calls package time, "" if f does not import it.
func timeImportName(f *ast.File) string {
	for _, imp := range f.Imports {
		if imp.Path.Value != `"time"` {
			continue
		}
		if imp.Name != nil {
			return imp.Name.Name
		}
		return "time"
	}
	return ""
}
