// Package harness drives load through one configuration (a stack, a
// transport, a payload and a load model) and measures it: latency
// distribution, throughput, allocations, CPU and bytes on the wire.
package harness
