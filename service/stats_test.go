package service

import (
	"os"
	"runtime"
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
