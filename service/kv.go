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
	limits KVLimits

	mu       sync.Mutex // guards keys, every kvKey in it, watching, stored and bytes
	keys     map[string]*kvKey
	watching int   // Next calls waiting, over all keys
	stored   int   // keys with a value
	bytes    int64 // what they hold, counted as KVLimits.MaxBytes says
}

// KVLimits bound what Sets may make a KVStore hold: a Set past either
// fails with an error that names it, and stores nothing.
type KVLimits struct {
	// MaxKeys caps the keys with a value. 0 means DefaultKVMaxKeys.
	MaxKeys int
	// MaxBytes caps the bytes of their keys and values, each key counted
	// kvKeyCost bytes more for what the store keeps beside them. 0 means
	// DefaultKVMaxBytes.
	MaxBytes int64
}

// Defaults of KVLimits: a 64 MiB store fits any machine rpcbench serves
// from, and holds a value as large as the largest message (64 MiB, less
// framing) or a benchmark's keys many times over.
const (
	DefaultKVMaxKeys  = 1 << 20
	DefaultKVMaxBytes = 64 << 20
)

// kvKeyCost is about what the store keeps per key beside its bytes: the
// map entry, the kvKey, the kvState and its channel.
const kvKeyCost = 256

// MaxWatchTimeout is the longest timeout a Watch may ask for; a longer
// one, like a negative one, is an error rather than a silent change.
const MaxWatchTimeout = 24 * time.Hour

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

// NewKVStore returns an empty store with the default limits.
func NewKVStore() *KVStore { return NewKVStoreLimited(KVLimits{}) }

// NewKVStoreLimited returns an empty store bounded by l.
func NewKVStoreLimited(l KVLimits) *KVStore {
	if l.MaxKeys <= 0 {
		l.MaxKeys = DefaultKVMaxKeys
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultKVMaxBytes
	}
	return &KVStore{limits: l, keys: make(map[string]*kvKey)}
}

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
// changes nothing and wakes no one. A Set that would take the store past
// its limits fails and changes nothing.
func (s *KVStore) Set(key, value string) (*KeyValue, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.keys[key]
	if old != nil && old.cur.version > 0 && old.cur.value == value {
		return &KeyValue{Key: key, Value: value, Version: old.cur.version}, nil
	}
	stored, bytes := s.stored, s.bytes+int64(len(value))
	if old != nil && old.cur.version > 0 {
		bytes -= int64(len(old.cur.value))
	} else {
		stored++
		bytes += int64(len(key)) + kvKeyCost
	}
	switch {
	case stored > s.limits.MaxKeys:
		return nil, fmt.Errorf("kv: set of key %.64q refused: the store holds %d keys, its limit (--kv-max-keys)", key, s.limits.MaxKeys)
	case bytes > s.limits.MaxBytes:
		return nil, fmt.Errorf("kv: set of key %.64q refused: the store would hold %d bytes, past its limit of %d (--kv-max-bytes)", key, bytes, s.limits.MaxBytes)
	}
	s.stored, s.bytes = stored, bytes
	k := s.key(key)
	prev := k.cur
	k.cur = &kvState{value: value, version: prev.version + 1, changed: make(chan struct{})}
	close(prev.changed)
	return &KeyValue{Key: key, Value: value, Version: k.cur.version}, nil
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
	switch {
	case timeout < 0:
		return nil, fmt.Errorf("kv: watch of key %q: negative timeout %v", key, timeout)
	case timeout > MaxWatchTimeout:
		return nil, fmt.Errorf("kv: watch of key %q: timeout %v is past the longest allowed, %v", key, timeout, MaxWatchTimeout)
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
	got, err := kv.store.Set(args.GetKey(), args.GetValue())
	if err != nil {
		return err
	}
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
// and a long one long (both errors there), saturating where a Duration
// ends rather than wrapping.
func WatchTimeout(ms int64) time.Duration {
	switch {
	case ms > math.MaxInt64/int64(time.Millisecond):
		return math.MaxInt64
	case ms < math.MinInt64/int64(time.Millisecond):
		return math.MinInt64
	}
	return time.Duration(ms) * time.Millisecond
}
