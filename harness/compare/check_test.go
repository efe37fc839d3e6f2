package compare

import (
	"math"
	"strings"
	"testing"
)

// FuzzReadAndCheck reads any bytes as a benchmark file and checks it:
// neither may panic, and a file that passes Check holds only finite,
// non-negative figures over at least one iteration.
func FuzzReadAndCheck(f *testing.F) {
	f.Add("BenchmarkX-8\t1000\t1234 ns/op\t5 allocs/op\n")
	f.Add("BenchmarkX-8\t0\t1234 ns/op\n")
	f.Add("BenchmarkX-8\t10\tNaN ns/op\n")
	f.Add("BenchmarkX-8\t10\t-1 B/op\n")
	f.Add("BenchmarkX-8\t10\t12")
	f.Fuzz(func(t *testing.T, text string) {
		file, err := Read(strings.NewReader(text), "fuzz.txt")
		if err != nil || file.Check() != nil {
			return
		}
		for _, r := range file.Results {
			if r.Iters < 1 {
				t.Fatalf("Check passed %d iterations", r.Iters)
			}
			for _, v := range r.Values {
				if !(v.Value >= 0) || math.IsInf(v.Value, 0) {
					t.Fatalf("Check passed %v %s", v.Value, v.Unit)
				}
			}
		}
	})
}
