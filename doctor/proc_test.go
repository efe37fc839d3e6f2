package doctor

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestStealFromTwoSamples(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "stat")
	write(t, path, "cpu  100 0 50 800 10 0 5 35 0 0\ncpu0 50 0 25 400 5 0 2 17 0 0\n")
	a, err := readStat(path)
	if err != nil {
		t.Fatal(err)
	}
	write(t, path, "cpu  200 0 100 1600 20 0 10 70 99 0\n") // guest (99) is in user already
	b, err := readStat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := steal(a, b); got != (Steal{Shown: true, Percent: 3.5}) {
		t.Errorf("got %+v, want 35 of 1000 ticks: 3.5%%", got)
	}
	if got := steal(a, a); got.Shown {
		t.Errorf("no ticks between the samples: got %+v", got)
	}
	write(t, path, "cpu  1 2 3 4\n")
	if _, err := readStat(path); err == nil {
		t.Error("a cpu line without a steal column was read")
	}
}

func TestFrequencyFromCpufreq(t *testing.T) {
	root := t.TempDir()
	for cpu, f := range map[string][3]string{"cpu0": {"powersave", "1200000", "3000000"}, "cpu1": {"performance", "2800000", "3500000"}, "cpu2": {"powersave", "1000000", "3000000"}} {
		write(t, filepath.Join(root, cpu, "cpufreq", "scaling_governor"), f[0]+"\n")
		write(t, filepath.Join(root, cpu, "cpufreq", "scaling_cur_freq"), f[1]+"\n")
		write(t, filepath.Join(root, cpu, "cpufreq", "cpuinfo_max_freq"), f[2]+"\n")
	}
	write(t, filepath.Join(root, "cpuidle", "x"), "")
	got := readFrequency(root)
	if !got.Shown || !slices.Equal(got.Governors, []string{"performance", "powersave"}) || got.CurMHz != 1666.6666666666667 || got.MaxMHz != 3500 {
		t.Errorf("got %+v", got)
	}
	if got := readFrequency(t.TempDir()); got.Shown {
		t.Errorf("no cpufreq: got %+v", got)
	}
}
