package cli

import (
	"bytes"
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestHelpGolden(t *testing.T) {
	for _, cmd := range []string{"run", "matrix", "serve", "call", "list"} {
		t.Run(cmd, func(t *testing.T) { golden(t, "help-"+cmd, cmd, "--help") })
	}
	t.Run("rpcbench", func(t *testing.T) { golden(t, "help", "--help") })
	t.Run("list", func(t *testing.T) { golden(t, "list", "list") })
}

// help returns cmd's --help text.
func help(t *testing.T, cmd string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), &stdout, &stderr, []string{cmd, "--help"}); err != nil {
		t.Fatalf("%s --help: %v", cmd, err)
	}
	return stdout.String() + stderr.String()
}

var (
	flagLine = regexp.MustCompile(`(?m)^  --?([a-z0-9-]+)`)
	flagRef  = regexp.MustCompile(`(?:^|[\s(,'])--([a-z][a-z0-9-]*)`)
)

func TestHelpListsEachFlagOnceAndOnlyItsOwn(t *testing.T) {
	commands := []string{"run", "matrix", "serve", "call", "list"}
	own := map[string][]string{}
	all := map[string]bool{"help": true, "version": true}
	for _, cmd := range commands {
		for _, m := range flagLine.FindAllStringSubmatch(help(t, cmd), -1) {
			own[cmd] = append(own[cmd], m[1])
			all[m[1]] = true
		}
		for _, m := range regexp.MustCompile(`\(also ((?:--[a-z-]+(?:, )?)+)\)`).FindAllStringSubmatch(help(t, cmd), -1) {
			for _, a := range strings.Split(m[1], ", ") {
				all[strings.TrimPrefix(a, "--")] = true
			}
		}
	}
	for _, cmd := range commands {
		flags := own[cmd]
		sorted := slices.Clone(flags)
		slices.Sort(sorted)
		if c := slices.Compact(slices.Clone(sorted)); len(c) != len(sorted) {
			t.Errorf("%s --help lists a flag twice: %v", cmd, sorted)
		}
		for _, spelling := range []string{"codecs", "payloads", "conc", "transports"} {
			if slices.Contains(flags, spelling) {
				t.Errorf("%s --help lists the alias --%s as a flag of its own", cmd, spelling)
			}
		}
		// Every flag the text mentions exists, here or in the command it names.
		for _, m := range flagRef.FindAllStringSubmatch(help(t, cmd), -1) {
			if !all[m[1]] {
				t.Errorf("%s --help mentions --%s, which no command has", cmd, m[1])
			}
		}
	}
	for cmd, absent := range map[string][]string{
		"serve": {"pin", "listen", "peers"},     // --ca and --insecure: the reverse --tls worker verifies the caller
		"call":  {"conns", "peers", "duration"}, // --client-ca: call --listen --tls verifies the worker
		"list":  {"codec", "addr"},
	} {
		for _, f := range absent {
			if slices.Contains(own[cmd], f) {
				t.Errorf("%s --help lists --%s, which it does not use", cmd, f)
			}
		}
	}
	if !strings.Contains(help(t, "matrix"), "--transport string  (also --transports)") {
		t.Errorf("matrix --help mentions --transports without defining it")
	}
	if h := help(t, "list"); !strings.Contains(h, "Lists what the other commands can be given") {
		t.Errorf("list --help says nothing:\n%s", h)
	}
}

// Help asked for is the output: on stdout (run --help | grep rate), exit
// 0, nothing on stderr, the exit statuses last, and each flag's default
// said once.
func TestHelpGoesToStdout(t *testing.T) {
	for _, cmd := range []string{"run", "matrix", "serve", "call", "list", "compare", "gate", "report", "merge", "version"} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), &stdout, &stderr, []string{cmd, "--help"})
		out := stdout.String()
		if err != nil || stderr.Len() > 0 || !strings.HasPrefix(out, "Usage: rpcbench "+cmd) || !strings.HasSuffix(out, exitTable()) {
			t.Errorf("%s --help: err %v, stderr %q; stdout:\n%s", cmd, err, stderr.String(), out)
		}
		for line := range strings.SplitSeq(out, "\n") {
			if strings.Count(line, "(default ") > 1 {
				t.Errorf("%s --help: a default said twice: %q", cmd, line)
			}
		}
	}
}
