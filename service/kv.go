package service

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"
)

// ErrNotFound is the error KV.Get returns for a key that was never set; its
// text, "not found", is what every codec's client sees.
var ErrNotFound = errors.New("not found")

// ErrWatchTimeout is the error a Watch fails with when its timeout passes
// before the key changes; its text contains "timeout", which clients of
// every codec match on.
var ErrWatchTimeout = errors.New("timeout")

// A KVStore is the seed's key-value store with long-poll watches: Set
// stores a value and, when it changed, wakes every Watch of that key.
// One store is shared by all the connections of a server. Its zero value
// is not usable; call NewKVStore.
//
// Waking costs no registry of watchers: each key's current state holds a
// channel that Set closes when it replaces the state, and every watcher
// waits on it. A watcher that goes away (timeout, closed connection)
// simply stops waiting and leaves nothing behind but its share of a
// counter that drops keys nobody set or watches.
type KVStore struct {
	mu       sync.Mutex // guards keys, every kvKey in it, and watching
	keys     map[string]*kvKey
	watching int // Next calls waiting, over all keys
}

// kvKey is one key: its current state and how many Watch calls wait on it.
type kvKey struct {
	cur      *kvState
	watchers int // a key with no value and no watchers is dropped
}

// kvState is one value of a key. Only changed changes after it is made.
type kvState struct {
	value   string
	version uint64        // 0: no value yet
	changed chan struct{} // closed when a Set replaces this state
}

// NewKVStore returns an empty store.
func NewKVStore() *KVStore { return &KVStore{keys: make(map[string]*kvKey)} }

// key returns key's entry, made empty when there is none. s.mu is held.
func (s *KVStore) key(key string) *kvKey {
	k := s.keys[key]
	if k == nil {
		k = &kvKey{cur: &kvState{changed: make(chan struct{})}}
		s.keys[key] = k
	}
	return k
}

// Set stores value under key and returns the key's value and version. A
// value different from the stored one gets the next version (1 for the
// first) and wakes every watcher of the key; the stored value again
// changes nothing and wakes no one.
func (s *KVStore) Set(key, value string) *KeyValue {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.key(key)
	old := k.cur
	if old.version > 0 && old.value == value {
		return &KeyValue{Key: key, Value: value, Version: old.version}
	}
	k.cur = &kvState{value: value, version: old.version + 1, changed: make(chan struct{})}
	close(old.changed)
	return &KeyValue{Key: key, Value: value, Version: k.cur.version}
}

// Get returns key's value and version, or ErrNotFound.
func (s *KVStore) Get(key string) (*KeyValue, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.keys[key]
	if k == nil || k.cur.version == 0 {
		return nil, fmt.Errorf("kv: key %q %w", key, ErrNotFound)
	}
	return &KeyValue{Key: key, Value: k.cur.value, Version: k.cur.version}, nil
}

// Version returns key's current version, 0 for a key never set.
func (s *KVStore) Version(key string) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k := s.keys[key]; k != nil {
		return k.cur.version
	}
	return 0
}

// Watching returns how many Watch and Next calls are waiting.
func (s *KVStore) Watching() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.watching
}

// Next waits until key's version is past after and returns its value then:
// the latest, when several changes came while the caller was away. With
// after set to the last version a caller saw, a stream of Next calls
// misses no change that is still current. It returns ctx's cause
// (context.Cause) when ctx ends first.
func (s *KVStore) Next(ctx context.Context, key string, after uint64) (*KeyValue, error) {
	s.mu.Lock()
	k := s.key(key)
	k.watchers++
	s.watching++
	defer func() {
		s.mu.Lock()
		s.watching--
		if k.watchers--; k.watchers == 0 && k.cur.version == 0 {
			delete(s.keys, key)
		}
		s.mu.Unlock()
	}()
	for {
		st := k.cur
		s.mu.Unlock()
		if st.version > after {
			return &KeyValue{Key: key, Value: st.value, Version: st.version}, nil
		}
		select {
		case <-st.changed:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
		s.mu.Lock()
	}
}

// Watch waits for key's next change after now, at most timeout (0: no
// limit but ctx), and returns the new value and version. It fails with an
// error wrapping ErrWatchTimeout when timeout passes first, and with ctx's
// error when ctx ends first (the watcher's connection closed).
func (s *KVStore) Watch(ctx context.Context, key string, timeout time.Duration) (*KeyValue, error) {
	if timeout < 0 {
		return nil, fmt.Errorf("kv: watch of key %q: negative timeout %v", key, timeout)
	}
	if timeout > 0 {
		// WithTimeout starts no goroutine: the deadline is a timer, and
		// cancellation from a standard parent context is a callback.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, timeout, ErrWatchTimeout)
		defer cancel()
	}
	kv, err := s.Next(ctx, key, s.Version(key))
	if err != nil {
		if errors.Is(context.Cause(ctx), ErrWatchTimeout) {
			return nil, fmt.Errorf("kv: watch of key %q: no change before the %v %w", key, timeout, ErrWatchTimeout)
		}
		return nil, fmt.Errorf("kv: watch of key %q: %w", key, err)
	}
	return kv, nil
}

// KV serves a KVStore over net/rpc to one connection: ctx ends when that
// connection's serving does, and with it every Watch the connection left
// waiting, so that abandoned watches hold no goroutine (net/rpc runs each
// call in a goroutine of its own, which a closed connection does not end).
type KV struct {
	store *KVStore
	ctx   context.Context
	delay *Delay
}

// NewKV returns the net/rpc receiver of store for one connection whose
// life is ctx.
func NewKV(ctx context.Context, store *KVStore, d *Delay) *KV {
	return &KV{store: store, ctx: ctx, delay: d}
}

// Set stores args.Value under args.Key; the reply has the key's value and
// version (see KVStore.Set).
func (kv *KV) Set(args *KeyValue, reply *KeyValue) (err error) {
	defer recoverCall(&err)
	kv.delay.Wait()
	got := kv.store.Set(args.GetKey(), args.GetValue())
	reply.Key, reply.Value, reply.Version = got.Key, got.Value, got.Version
	return nil
}

// Get returns args.Key's value and version, or an error with the text
// "kv: key \"K\" not found".
func (kv *KV) Get(args *KeyValue, reply *KeyValue) (err error) {
	defer recoverCall(&err)
	kv.delay.Wait()
	got, err := kv.store.Get(args.GetKey())
	if err != nil {
		return err
	}
	reply.Key, reply.Value, reply.Version = got.Key, got.Value, got.Version
	return nil
}

// Watch blocks until args.Key changes and replies with its new value and
// version, or fails after args.TimeoutMs milliseconds (0: no limit) with
// an error whose text contains "timeout".
func (kv *KV) Watch(args *WatchRequest, reply *KeyValue) (err error) {
	defer recoverCall(&err)
	kv.delay.Wait()
	ctx := kv.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	got, err := kv.store.Watch(ctx, args.GetKey(), WatchTimeout(args.GetTimeoutMs()))
	if err != nil {
		return err
	}
	reply.Key, reply.Value, reply.Version = got.Key, got.Value, got.Version
	return nil
}

// WatchTimeout converts a WatchRequest's timeout_ms into the timeout
// KVStore.Watch takes: 0 stays 0 (no limit), a negative one stays negative
// (an error), and one too long for a Duration saturates.
func WatchTimeout(ms int64) time.Duration {
	if ms > math.MaxInt64/int64(time.Millisecond) {
		return math.MaxInt64
	}
	return time.Duration(ms) * time.Millisecond
}
