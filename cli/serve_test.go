package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTokenWarnings(t *testing.T) {
	dir := t.TempDir()
	for i, tc := range []struct {
		name  string
		token string
		mode  os.FileMode
		want  []string
	}{
		{"a long token only its owner reads", "0123456789abcdef0123", 0o600, nil},
		{"a short token", "short", 0o600, []string{"5 bytes long"}},
		{"a file others read", "0123456789abcdef0123", 0o644, []string{"other users may read it"}},
		{"both", "short", 0o640, []string{"5 bytes long", "other users may read it"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(dir, fmt.Sprintf("token-%d", i))
			if err := os.WriteFile(file, []byte(tc.token+"\n"), tc.mode); err != nil {
				t.Fatal(err)
			}
			os.Chmod(file, tc.mode) // past the umask
			got := tokenWarnings(file, []byte(tc.token))
			if len(got) != len(tc.want) {
				t.Fatalf("warnings %q, want %d containing %q", got, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("warning %q, want one containing %q", got[i], w)
				}
			}
			if strings.Contains(strings.Join(got, " "), tc.token) {
				t.Errorf("a warning quotes the token: %q", got)
			}
		})
	}
}
