package gate

import (
	"fmt"
	"strings"

	"github.com/rpcbench/rpcbench/harness/compare"
)

// EnvKeys are the file configuration keys that must match
// for raw times to be comparable: the same CPU model, GOMAXPROCS, kernel
// and Go version. Two runs that agree on them ran on one kind of machine,
// and most likely (A/B on one CI runner) on the same one.
func EnvKeys() []string { return []string{"cpu", "gomaxprocs", "kernel", "go"} }

// environment reads EnvKeys from f's file configuration lines (the first
// result's: rpcbench writes them once, at the top). gomaxprocs falls back
// to the GOMAXPROCS suffix every name ends in, as go test writes it, and
// go to go-version, the key rpcbench wrote before it wrote "go".
func environment(f *compare.File, procs string) map[string]string {
	env := f.Config()
	if env["gomaxprocs"] == "" && procs != "" {
		env["gomaxprocs"] = strings.TrimPrefix(procs, "-")
	}
	if env["go"] == "" {
		env["go"] = env["go-version"]
	}
	return env
}

// envDiffs says how two environments differ in EnvKeys: the keys whose
// values differ, and those missing from either side. A missing key is a
// difference too: nothing says the machines were alike.
func envDiffs(a, b map[string]string) (differ, missing []string) {
	for _, k := range EnvKeys() {
		switch va, vb := a[k], b[k]; {
		case va == "" && vb == "":
			missing = append(missing, k)
		case va == "":
			missing = append(missing, k+" (baseline)")
		case vb == "":
			missing = append(missing, k+" (new)")
		case va != vb:
			differ = append(differ, fmt.Sprintf("%s: baseline %s, new %s", k, va, vb))
		}
	}
	return differ, missing
}
