package cli

import (
	"runtime/debug"
	"testing"
)

func TestDescribeBuild(t *testing.T) {
	mod := debug.Module{Path: "github.com/rpcbench/rpcbench"}
	tests := []struct {
		name string
		info *debug.BuildInfo
		ok   bool
		want string
	}{
		{"go install at a version: no VCS, the version names the source",
			&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: mod.Path, Version: "v0.3.0"}}, true,
			"rpcbench v0.3.0\nmodule: github.com/rpcbench/rpcbench\nrevision: none recorded (a module build: the version v0.3.0 names the source)\ngo: go1.26.8\n"},
		{"a team's command, rpcbench a dependency",
			&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "example.com/team", Version: "(devel)"},
				Deps:     []*debug.Module{{Path: mod.Path, Version: "v0.3.0", Replace: &debug.Module{Path: "../rpcbench"}}},
				Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}}}, true,
			"rpcbench v0.3.0\nmodule: github.com/rpcbench/rpcbench\nreplaced by: ../rpcbench\nbuilt into: example.com/team (devel)\nrevision: abc\ngo: go1.26.8\n"},
		{"a build in a checkout with changes",
			&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: mod.Path, Version: "(devel)"}, Settings: []debug.BuildSetting{
				{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "20da504c0ffee"}, {Key: "vcs.time", Value: "2026-11-30T12:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}, true,
			"rpcbench (devel)\nmodule: github.com/rpcbench/rpcbench\nrevision: 20da504c0ffee (with uncommitted changes)\ncommitted: 2026-11-30T12:00:00Z\ngo: go1.26.8\n"},
		{"go run in a tree without .git",
			&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: mod.Path, Version: "(devel)"}}, true,
			"rpcbench (devel)\nmodule: github.com/rpcbench/rpcbench\nrevision: none recorded (built outside a VCS checkout, or with -buildvcs=false)\ngo: go1.26.8\n"},
		{"no build information", nil, false, "rpcbench: no build information in this binary (built without module support)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := describeBuild(tt.info, tt.ok); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}
