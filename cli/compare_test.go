package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// golden runs rpcbench with args in testdata and compares what it
// printed, and its exit status, with testdata/golden/NAME.txt, as
// cmd/benchstat tests itself.
func golden(t *testing.T, name string, args ...string) {
	t.Helper()
	t.Chdir("testdata")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), &stdout, &stderr, args)
	var got bytes.Buffer
	fmt.Fprintf(&got, "$ rpcbench %s\n%s", strings.Join(args, " "), stdout.String())
	if stderr.Len() > 0 {
		fmt.Fprintf(&got, "-- stderr --\n%s", stderr.String())
	}
	fmt.Fprintf(&got, "-- exit %d --\n", exitCode(err, &got))
	path := filepath.Join("golden", name+".txt")
	if *update {
		if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("%s differs from %s (go test -run %s -update to accept):\n%s", args[0], path, t.Name(), got.String())
	}
}

func TestCompareGolden(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"compare-go-test", []string{"compare", "go-old.txt", "go-new.txt"}},
		{"compare-rpcbench", []string{"compare", "--unit", "ns/op,p50-ns,allocs/op", "base=rpc-base.txt", "slow=rpc-slow.txt"}},
		{"compare-three", []string{"compare", "--codec", "msgpack", "--unit", "sec/op", "rpc-base.txt", "rpc-aa.txt", "rpc-few.txt"}},
		{"compare-csv", []string{"compare", "--format", "csv", "--payload", "bytes:1KiB", "--unit", "allocs/op", "rpc-base.txt", "rpc-few.txt"}},
		{"compare-markdown", []string{"compare", "--format", "markdown", "--filter", "-/peer:floor", "--unit", "sec/op", "rpc-base.txt", "rpc-slow.txt"}},
		{"compare-refuses-bad-lines", []string{"compare", "rpc-bad.txt"}},
		{"compare-refuses-nan", []string{"compare", "rpc-base.txt", "rpc-nan.txt"}},
		{"compare-same-file-twice", []string{"compare", "old=rpc-base.txt", "new=rpc-base.txt"}},
		{"compare-refuses-work", []string{"compare", "rpc-base.txt", "rpc-work.txt"}},
		{"compare-missing", []string{"compare", "rpc-base.txt", "missing.txt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { golden(t, tt.name, tt.args...) })
	}
}
