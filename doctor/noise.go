package doctor

import (
	"context"
	"time"

	"gonum.org/v1/gonum/stat"
)

// noise runs a fixed CPU loop, sized to take about window, n times and
// returns the coefficient of variation of its times: on a quiet machine
// the same work takes the same time.
func noise(ctx context.Context, n int, window time.Duration) (Noise, error) {
	iters := 1 << 10
	for spinTime(iters) < window/4 { // sized on a quarter: faster, and close enough
		iters *= 2
	}
	iters = int(float64(iters) * float64(window) / float64(spinTime(iters)))
	times := make([]float64, n)
	for i := range times {
		if err := ctx.Err(); err != nil {
			return Noise{}, err
		}
		times[i] = float64(spinTime(iters))
	}
	mean, sd := stat.MeanStdDev(times, nil)
	return Noise{Windows: n, Window: window, CV: 100 * sd / mean}, nil
}

// sink keeps the loop's result alive, so that the compiler keeps the loop.
var sink uint64

// spinTime times n rounds of xorshift.
func spinTime(n int) time.Duration {
	start := time.Now()
	x := uint64(88172645463325252)
	for range n {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	sink += x
	return time.Since(start)
}
