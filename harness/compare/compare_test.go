package compare_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpcbench/rpcbench/harness/compare"
)

const runOld = `goos: linux
cpu: Old CPU
BenchmarkRPC/codec=msgpack/transport=tcp/payload=bytes:1KiB/conc=4-2	1000	60000 ns/op	13 allocs/op
BenchmarkRPC/peer=floor/transport=tcp/payload=bytes:1KiB/conc=4-2	1000	25000 ns/op	1 allocs/op
BenchmarkRPC/codec=gob/transport=tcp/payload=records:100/conc=4-2	1000	90000 ns/op	40 allocs/op
BenchmarkRPC/codec=msgpack/transport=tcp/payload=bytes:1KiB/conc=4-2	1000	61000 ns/op	13 allocs/op
BenchmarkRPC/peer=floor/transport=tcp/payload=bytes:1KiB/conc=4-2	1000	26000 ns/op	1 allocs/op
BenchmarkRPC/codec=gob/transport=tcp/payload=records:100/conc=4-2	1000	91000 ns/op	40 allocs/op
`

func read(t *testing.T, text, name string) *compare.File {
	t.Helper()
	f, err := compare.Read(strings.NewReader(text), name)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestSeriesKeepRepetitionOrder(t *testing.T) {
	f := read(t, runOld, "old.txt")
	s := f.Series()
	if len(s) != 6 {
		t.Fatalf("%d series; want 3 benchmarks × 2 units", len(s))
	}
	if s[0].Unit != "sec/op" || fmt.Sprintf("%.4g", s[0].Values) != "[6e-05 6.1e-05]" {
		t.Fatalf("first series %+v; want msgpack's sec/op, tidied from ns/op, in file order", s[0])
	}
}

func TestSelection(t *testing.T) {
	tests := []struct {
		name string
		sel  compare.Selection
		want []string // name/unit pairs kept
	}{
		{"everything", compare.Selection{}, []string{"msgpack sec/op", "msgpack allocs/op", "floor sec/op", "floor allocs/op", "gob sec/op", "gob allocs/op"}},
		{"a codec", compare.Selection{Codecs: []string{"gob"}}, []string{"gob sec/op", "gob allocs/op"}},
		{"a payload with a colon, and a unit as written", compare.Selection{Payloads: []string{"bytes:1KiB"}, Units: []string{"ns/op"}}, []string{"msgpack sec/op", "floor sec/op"}},
		{"an expression and a list", compare.Selection{Expr: "-/peer:floor", Units: []string{"allocs/op"}}, []string{"msgpack allocs/op", "gob allocs/op"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			filter, err := tt.sel.Filter()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range read(t, runOld, "old.txt").Select(filter).Series() {
				_, stack, _ := strings.Cut(strings.Split(s.Name, "/")[1], "=")
				got = append(got, stack+" "+s.Unit)
			}
			if strings.Join(got, ", ") != strings.Join(tt.want, ", ") {
				t.Fatalf("kept %q; want %q", got, tt.want)
			}
		})
	}
}

func TestBadFilterIsAnError(t *testing.T) {
	if _, err := (compare.Selection{Expr: "/codec:(msgpack"}).Filter(); err == nil {
		t.Fatal("unbalanced parenthesis accepted")
	}
}

func TestSyntaxErrorsCarryPosition(t *testing.T) {
	f := read(t, "BenchmarkA-2 10 5 ns/op\nBenchmarkB-2 ten 5 ns/op\n", "x.txt")
	if len(f.SyntaxErrors) != 1 || f.SyntaxErrors[0].Error() != "x.txt:2: parsing iteration count: invalid syntax" {
		t.Fatalf("syntax errors %v; want x.txt:2: parsing iteration count", f.SyntaxErrors)
	}
	if _, err := compare.Read(strings.NewReader("PASS\n"), "empty.txt"); err == nil || !strings.HasPrefix(err.Error(), "empty.txt: no benchmark results: want Go benchmark lines") {
		t.Fatalf("err = %v; want empty.txt: no benchmark results", err)
	}
}

func TestOpenReadsAMatrixDirectoryAndLabels(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, compare.BenchFile), []byte(runOld), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := compare.Open("base=" + dir)
	if err != nil {
		t.Fatal(err)
	}
	if f.Label != "base" || len(f.Results) != 6 {
		t.Fatalf("label %q, %d results; want base, 6", f.Label, len(f.Results))
	}
	if _, err := compare.Open(filepath.Join(dir, "missing.txt")); !os.IsNotExist(err) {
		t.Fatalf("err = %v; want not-exist", err)
	}
}

func TestCompare(t *testing.T) {
	newer := strings.ReplaceAll(strings.ReplaceAll(runOld, "Old CPU", "New CPU"), "13 allocs", "14 allocs")
	c := compare.Compare([]*compare.File{read(t, runOld, "old"), read(t, newer, "new")}, compare.Options{})
	if got := strings.Join(c.Config, "|"); got != "goos: linux|cpu: Old CPU (old), New CPU (new)" {
		t.Fatalf("config %q", got)
	}
	allocs := c.Tables[1]
	if allocs.Unit != "allocs/op" || allocs.Rows[0].Cells[1].Summary.Center != 14 {
		t.Fatalf("second table %s, msgpack new median %g; want allocs/op, 14", allocs.Unit, allocs.Rows[0].Cells[1].Summary.Center)
	}
	// Two samples each can never be significant: benchmath says so.
	if w := allocs.Rows[0].Cells[1].Comparison.Warnings; len(w) != 1 || !strings.Contains(w[0].Error(), "need >= 4 samples") {
		t.Fatalf("comparison warnings %v; want one asking for 4 samples", w)
	}
}
