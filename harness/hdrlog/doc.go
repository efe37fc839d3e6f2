// Package hdrlog writes results as HdrHistogram interval logs, and reads
// them back, so that the tools HdrHistogram has in Java, C, Python and
// JavaScript (HistogramLogAnalyzer, hdr-plot, jHiccup's processors) can
// read a run's latencies second by second, and rpcbench merge can combine
// logs as it combines JSON results.
//
// The log is the standard one: a format version comment, #[StartTime: ...]
// and #[BaseTime: ...] lines, the column legend, then one line per
// configuration per second,
//
//	Tag=NAME,START,LENGTH,MAX,HISTFAAA...
//
// START in seconds after the base time, LENGTH in seconds, MAX in
// milliseconds, and the interval's histogram of nanoseconds in the V2
// compressed encoding. Writing and reading go through hdrhistogram-go's
// HistogramLogWriter and HistogramLogReader: v1.3.0 fixed the writer's
// "#[Basetime:" spelling that readers ignored, its local-time StartTime and
// the normalizing index offset of 1 that made the C reader shift every
// bucket; go.mod pins a version with those fixes.
package hdrlog
