package cli

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

const versionSynopsis = `version

Prints the module version rpcbench was built from and its VCS revision, as
the Go toolchain recorded them in the binary: a go install of a tagged
version has the version and no revision; a build in a checkout has the
revision and "(devel)".`

func versionCmd(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("version", versionSynopsis, stdout)
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q: version takes none", fs.Arg(0))
	}
	info, ok := debug.ReadBuildInfo()
	_, err := io.WriteString(stdout, describeBuild(info, ok))
	return err
}

// describeBuild says what the toolchain recorded about the build: the
// main module's path and version, and the VCS settings when there are
// any. A go install pkg@version or go run pkg@version build has a module
// version but no VCS information (the module zip has no .git); a build in
// a checkout has the revision but the version "(devel)".
const modulePath = "github.com/rpcbench/rpcbench"

func describeBuild(info *debug.BuildInfo, ok bool) string {
	if !ok {
		return "rpcbench: no build information in this binary (built without module support)\n"
	}
	var b strings.Builder
	// A team's own command (cli.Main with its codecs) has rpcbench as a
	// dependency, and the revision recorded is that of the team's tree.
	self := info.Main
	for _, d := range info.Deps {
		if d.Path == modulePath {
			self = *d
		}
	}
	fmt.Fprintf(&b, "rpcbench %s\n", self.Version)
	fmt.Fprintf(&b, "module: %s\n", modulePath)
	if r := self.Replace; r != nil {
		fmt.Fprintf(&b, "replaced by: %s\n", strings.TrimSpace(r.Path+" "+r.Version))
	}
	if info.Main.Path != modulePath {
		fmt.Fprintf(&b, "built into: %s\n", strings.TrimSpace(info.Main.Path+" "+info.Main.Version))
	}
	vcs := make(map[string]string)
	for _, s := range info.Settings {
		vcs[s.Key] = s.Value
	}
	switch rev := vcs["vcs.revision"]; {
	case rev != "":
		if vcs["vcs.modified"] == "true" {
			rev += " (with uncommitted changes)"
		}
		fmt.Fprintf(&b, "revision: %s\n", rev)
		if t := vcs["vcs.time"]; t != "" {
			fmt.Fprintf(&b, "committed: %s\n", t)
		}
	case info.Main.Version != "" && info.Main.Version != "(devel)":
		fmt.Fprintf(&b, "revision: none recorded (a module build: the version %s names the source)\n", info.Main.Version)
	default:
		fmt.Fprintf(&b, "revision: none recorded (built outside a VCS checkout, or with -buildvcs=false)\n")
	}
	fmt.Fprintf(&b, "go: %s\n", info.GoVersion)
	return b.String()
}
