package measure

import (
	"bufio"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Env is the environment a run was measured in.
type Env struct {
	Host       string    `json:"host,omitempty"`
	GoVersion  string    `json:"go_version"`
	GOOS       string    `json:"goos"`
	GOARCH     string    `json:"goarch"`
	GOMAXPROCS int       `json:"gomaxprocs"`
	CPU        string    `json:"cpu"`
	Kernel     string    `json:"kernel"`
	Version    string    `json:"rpcbench_version"`
	Args       []string  `json:"args"`
	Date       time.Time `json:"date"`
	// Machine is what rpcbench doctor measured just before the run; nil
	// when it was not measured (results written before rpcbench did).
	Machine *Machine `json:"machine,omitempty"`
}

// ReadEnv describes this process's environment; args are the command
// line that started the run.
func ReadEnv(args []string) Env {
	host, _ := os.Hostname()
	return Env{
		Host:       host,
		GoVersion:  runtime.Version(),
		GOOS:       runtime.GOOS,
		GOARCH:     runtime.GOARCH,
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		CPU:        cpuModel(),
		Kernel:     strings.TrimSpace(readFile("/proc/sys/kernel/osrelease")),
		Version:    version(),
		Args:       args,
		Date:       time.Now().UTC().Truncate(time.Second),
	}
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if k, v, ok := strings.Cut(s.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func readFile(name string) string {
	b, err := os.ReadFile(name)
	if err != nil {
		return "unknown"
	}
	return string(b)
}

// version is the module version, or the VCS revision for a build from a
// checkout, marked when the tree had changes.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "devel", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value[:min(12, len(s.Value))]
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty {
		rev += "+dirty"
	}
	return rev
}
