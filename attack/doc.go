// Package attack proves DESIGN 3's promises about hostile input and the
// harness's behaviour under faults against the real rpcbench binary: its
// tests build the command once, start `rpcbench serve` as a process for
// every codec, attack it over real sockets, and check after every attack
// that a fresh `rpcbench call` still gets its answer, the process lives,
// and its memory stays bounded. The package has no code outside its tests.
//
// Every random choice comes from one seed, printed when the tests run;
// replay a failure with
//
//	go test ./attack -run 'TestServerSurvives/msgpack' -args -seed=N
package attack
