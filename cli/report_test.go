package cli

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestReportGolden regenerates a report from two short open-loop runs
// committed under testdata/report and compares it with its golden copy.
func TestReportGolden(t *testing.T) {
	src, err := filepath.Abs("testdata/report")
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join(src, "..", "golden", "report.md")
	t.Chdir(t.TempDir())
	if err := os.CopyFS(".", os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), &stdout, &stderr, []string{"report", "-o", "REPORT.md", "open1000", "open3000/results.json"}); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if got, want := stdout.String(), "wrote REPORT.md and 4 charts\n"; got != want {
		t.Errorf("stdout %q; want %q", got, want)
	}
	got, err := os.ReadFile("REPORT.md")
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	} else if want, err := os.ReadFile(golden); err != nil || !bytes.Equal(got, want) {
		t.Errorf("REPORT.md differs from %s (go test -run %s -update to accept), err %v:\n%s", golden, t.Name(), err, got)
	}
	charts, _ := filepath.Glob("charts/*.svg")
	want := []string{"charts/cost-bytes-1KiB-tcp-c4-r1000.svg", "charts/latency-bytes-1KiB-tcp-c4-r1000.svg", "charts/latency-bytes-1KiB-tcp-c4-r3000.svg", "charts/rate-bytes-1KiB-tcp-c4.svg"}
	if !slices.Equal(charts, want) {
		t.Errorf("charts %q; want %q", charts, want)
	}
}

func TestReportNeedsItsInputs(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), &stdout, &stderr, []string{"report", "-o", filepath.Join(t.TempDir(), "REPORT.md"), "testdata/report/missing"})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v; want a missing-file error", err)
	}
}

// An interrupted matrix is refused (exit 2) unless --allow-interrupted,
// and then the report says which results were cut short.
func TestReportRefusesInterruptedResults(t *testing.T) {
	b, err := os.ReadFile("testdata/report/open1000/results.json")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cut := filepath.Join(dir, "cut")
	os.Mkdir(cut, 0o755)
	b = bytes.Replace(b, []byte(`"results": [`), []byte(`"interrupted": true, "results": [`), 1)
	if err := os.WriteFile(filepath.Join(cut, "results.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "REPORT.md")
	var stdout, stderr bytes.Buffer
	err = run(context.Background(), &stdout, &stderr, []string{"report", "-o", out, cut})
	if exitCode(err, &stderr) != 2 || !bytes.Contains(stderr.Bytes(), []byte("was interrupted")) || !bytes.Contains(stderr.Bytes(), []byte("--allow-interrupted")) {
		t.Fatalf("report of an interrupted run: %v\n%s", err, stderr.String())
	}
	if err := run(context.Background(), &stdout, &stderr, []string{"report", "--allow-interrupted", "-o", out, cut}); err != nil {
		t.Fatalf("report --allow-interrupted: %v\n%s", err, stderr.String())
	}
	if md, _ := os.ReadFile(out); !bytes.Contains(md, []byte(cut+" (interrupted)")) {
		t.Errorf("the report does not mark the interrupted results:\n%s", md)
	}
}

func TestReportWritesTheHTMLPageAlone(t *testing.T) {
	page := filepath.Join(t.TempDir(), "report.html")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), &stdout, &stderr, []string{"report", "--html", page, "testdata/report/open1000"}); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if got, want := stdout.String(), "wrote "+page+"\n"; got != want {
		t.Errorf("stdout %q; want %q", got, want)
	}
	b, err := os.ReadFile(page)
	if err != nil || !bytes.Contains(b, []byte(`<div id="sections">`)) {
		t.Errorf("no page written: %v", err)
	}
}
