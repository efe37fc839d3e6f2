package doctor

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Where Linux shows CPU times and frequency scaling; tests point them at
// fakes.
var (
	procStat = "/proc/stat"
	sysCPU   = "/sys/devices/system/cpu"
)

// cpuTimes are the aggregate "cpu" line of /proc/stat, in clock ticks:
// user nice system idle iowait irq softirq steal (guest time is counted in
// user already, so it is left out).
type cpuTimes [8]uint64

func readStat(path string) (cpuTimes, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return cpuTimes{}, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	fields := strings.Fields(line)
	var t cpuTimes
	if len(fields) < 1+len(t) || fields[0] != "cpu" {
		return cpuTimes{}, fmt.Errorf("%s: first line %q is not a cpu line with a steal column", path, line)
	}
	for i := range t {
		if t[i], err = strconv.ParseUint(fields[1+i], 10, 64); err != nil {
			return cpuTimes{}, fmt.Errorf("%s: %w", path, err)
		}
	}
	return t, nil
}

// steal is the share of the CPU time between two samples that was stolen.
func steal(a, b cpuTimes) Steal {
	var total uint64
	for i := range a {
		total += b[i] - a[i]
	}
	if total == 0 {
		return Steal{}
	}
	return Steal{Shown: true, Percent: 100 * float64(b[7]-a[7]) / float64(total)}
}

// readFrequency reads each CPU's cpufreq governor and frequencies under
// root; a machine without cpufreq (most VMs) shows nothing.
func readFrequency(root string) Frequency {
	dirs, _ := filepath.Glob(filepath.Join(root, "cpu[0-9]*", "cpufreq"))
	var f Frequency
	var cur float64
	n := 0
	for _, dir := range dirs {
		if g := readString(filepath.Join(dir, "scaling_governor")); g != "" && !slices.Contains(f.Governors, g) {
			f.Governors = append(f.Governors, g)
		}
		if khz, err := strconv.ParseFloat(readString(filepath.Join(dir, "scaling_cur_freq")), 64); err == nil {
			cur += khz / 1000
			n++
		}
		if khz, err := strconv.ParseFloat(readString(filepath.Join(dir, "cpuinfo_max_freq")), 64); err == nil {
			f.MaxMHz = max(f.MaxMHz, khz/1000)
		}
	}
	if n > 0 {
		f.CurMHz = cur / float64(n)
	}
	slices.Sort(f.Governors)
	f.Shown = len(f.Governors) > 0 || n > 0
	return f
}

// readString is a sysfs file's one value, "" if it cannot be read.
func readString(path string) string {
	b, _ := os.ReadFile(path)
	return strings.TrimSpace(string(b))
}
