package cli

import "syscall"

// raiseFileLimit lifts the soft open-file limit to the hard one, so that
// runs with thousands of connections (--conns 10000) are not cut short by a
// default of 1024. It reports the limit in force afterwards.
func raiseFileLimit() uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
		syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	return lim.Cur
}
