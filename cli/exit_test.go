package cli

import (
	"os"
	"strings"
	"testing"
)

// The README shows the exit statuses as --help prints them.
func TestREADMEHasTheExitTable(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```\n"+exitTable()+"```\n") {
		t.Errorf("README.md lacks the exit statuses as --help prints them:\n%s", exitTable())
	}
}
