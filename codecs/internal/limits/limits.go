// Package limits holds the bounds rpcbench's codecs share when reading
// hostile input (DESIGN 3), so that one change reaches every codec.
package limits

const (
	// FirstChunk is how much a reader allocates for a message, string or
	// binary before any of its bytes have arrived; each later step doubles
	// what arrived so far, so memory follows the bytes a peer actually
	// sends, not the length it claims.
	FirstChunk = 64 << 10

	// KeepBuffer is the largest message buffer a codec keeps for the next
	// message: enough for the usual payloads, without pinning the largest
	// message a connection ever carried.
	KeepBuffer = 1 << 20

	// MaxDepth bounds how deeply a message may nest arrays, maps and
	// structs, as encoding/json bounds its own (10000), so that a small
	// message cannot exhaust the stack.
	MaxDepth = 10000
)
