package service

import (
	"os"
	"runtime"
	"strings"
	"testing"
)

func TestStatsCountSwitchesAndSyscalls(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc/self/io is Linux's")
	}
	before := ReadStats()
	for range 10 { // reads and writes the counters must see
		f, err := os.CreateTemp(t.TempDir(), "io")
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte("x"))
		f.Close()
		os.ReadFile(f.Name())
	}
	var after ServerStats
	if err := (Stats{}).Read(&StatsRequest{}, &after); err != nil {
		t.Fatal(err)
	}
	if after.GetRwSyscalls() < before.GetRwSyscalls()+20 {
		t.Errorf("rw_syscalls went from %d to %d over 10 writes and 10 reads", before.GetRwSyscalls(), after.GetRwSyscalls())
	}
	if after.GetCtxSwitches() == 0 {
		t.Error("ctx_switches is 0: getrusage was not read")
	}
}

func TestStatsNameTheProcessTheSameEveryRead(t *testing.T) {
	var a, b ServerStats
	if err := (Stats{}).Read(&StatsRequest{}, &a); err != nil {
		t.Fatal(err)
	}
	if err := (Stats{}).Read(&StatsRequest{}, &b); err != nil {
		t.Fatal(err)
	}
	if len(a.GetInstance()) != 32 || strings.Trim(a.GetInstance(), "0123456789abcdef") != "" {
		t.Errorf("instance %q; want 128 bits in hex", a.GetInstance())
	}
	if a.GetInstance() != b.GetInstance() || ReadStats().GetInstance() != a.GetInstance() {
		t.Errorf("instances %q, %q, %q; want one per process", a.GetInstance(), b.GetInstance(), ReadStats().GetInstance())
	}
}
