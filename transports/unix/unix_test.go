package unix_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"github.com/rpcbench/rpcbench/transports"
	"github.com/rpcbench/rpcbench/transports/transporttest"
	"github.com/rpcbench/rpcbench/transports/unix"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConformance(t *testing.T) { transporttest.Run(t, unix.Transport{}, transports.Config{}) }

func TestSocketFileIsRemovedOnClose(t *testing.T) {
	for _, addr := range []string{"", filepath.Join(t.TempDir(), "given.sock")} {
		l, err := unix.Transport{}.Serve(context.Background(), transports.Config{Addr: addr})
		if err != nil {
			t.Fatal(err)
		}
		path := l.Addr().String()
		if addr != "" && path != addr {
			t.Errorf("listening on %s, asked for %s", path, addr)
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode()&os.ModeSocket == 0 {
			t.Fatalf("socket %s while serving: %v, %v", path, fi, err)
		}
		l.Close()
		if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("socket %s after Close: %v, want it gone", path, err)
		}
	}
}
