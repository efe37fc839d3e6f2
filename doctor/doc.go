// Package doctor measures the machine a benchmark runs on: how late its
// timers and rpcbench's precise wait come back, the loopback floor, CPU
// steal, frequency scaling, GOMAXPROCS, whether hardware counters exist,
// and how noisy a fixed CPU loop is. Each figure comes with a verdict, so
// that a result can say what about its machine to distrust (DESIGN 11).
// Measure returns the figures as a plain struct; Text prints them.
package doctor
