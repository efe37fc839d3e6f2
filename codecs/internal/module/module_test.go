package module

import (
	"os"
	"strings"
	"testing"
)

func TestPinnedIsGoMod(t *testing.T) {
	gomod, err := os.ReadFile("../../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	for path, version := range pinned {
		if !strings.Contains(string(gomod), "\n\t"+path+" "+version+"\n") {
			t.Errorf("pinned has %s %s, which go.mod does not require", path, version)
		}
	}
}
