package measure

// WatchersPerKey is how many watchers of the watch workload share a key:
// the setter changes the keys in turn, so each Set wakes this many. It
// lives with the results because every watch row was measured with it,
// and what reads them (the report) says so.
const WatchersPerKey = 10
