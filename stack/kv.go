package stack

import (
	"context"
	"time"
)

// A KVStack is a Stack whose clients are also KVClients: it can run the
// watch workload. WatchStyle says how its clients watch a key, for tables
// and docs ("long-poll KV.Watch", "server-streaming KV.Watch").
type KVStack interface {
	Stack
	WatchStyle() string
}

// A KVClient is a Client that also calls the service's KV store: what the
// watch workload needs of a stack.
type KVClient interface {
	// Set stores value under key.
	Set(ctx context.Context, key, value string) error
	// Watch starts watching key. Each of the returned Watch's Next calls
	// waits for a change of the key; the server gives up after timeout
	// without one, with an error whose text contains "timeout".
	Watch(ctx context.Context, key string, timeout time.Duration) (Watch, error)
}

// A Watch is one watcher of a key, used by one goroutine.
type Watch interface {
	// Next waits for the key's next change and returns the value it
	// changed to (the latest, when several came while the watcher was
	// away). A long-poll client makes one KV.Watch call per Next; a
	// streaming one receives the next message of its stream.
	Next() (value string, err error)
	// Close ends the watch (a stream: cancels it).
	Close() error
}
