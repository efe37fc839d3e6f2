package service

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"
)

func TestKVSetVersions(t *testing.T) {
	s := NewKVStore()
	for _, step := range []struct {
		value   string
		version uint64
	}{
		{"a", 1},
		{"b", 2},
		{"b", 2}, // the same value: no new version
		{"a", 3},
		{"", 4}, // the empty value is a value
		{"", 4},
	} {
		got, _ := s.Set("k", step.value)
		if got.GetKey() != "k" || got.GetValue() != step.value || got.GetVersion() != step.version {
			t.Fatalf("Set(k, %q) = %v; want version %d", step.value, got, step.version)
		}
		if got, err := s.Get("k"); err != nil || got.GetValue() != step.value || got.GetVersion() != step.version {
			t.Fatalf("Get(k) after Set(k, %q) = %v, %v; want version %d", step.value, got, err, step.version)
		}
	}
}

func TestKVGetMissing(t *testing.T) {
	_, err := NewKVStore().Get("nope")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `"nope" not found`) {
		t.Fatalf("Get of a key never set = %v; want ErrNotFound naming the key", err)
	}
}

// waiting returns the state a watcher of key waits on, and how many wait.
func waiting(s *KVStore, key string) (*kvState, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.keys[key]
	if k == nil {
		return nil, 0
	}
	return k.cur, k.watchers
}

func TestKVSameValueWakesNoOne(t *testing.T) {
	s := NewKVStore()
	s.Set("k", "a")
	st, _ := waiting(s, "k")
	s.Set("k", "a")
	select {
	case <-st.changed:
		t.Fatal("a Set of the stored value closed the watchers' channel")
	default:
	}
	if again, _ := waiting(s, "k"); again != st {
		t.Fatal("a Set of the stored value replaced the key's state")
	}
	s.Set("k", "b")
	select {
	case <-st.changed:
	default:
		t.Fatal("a Set of a new value left the watchers' channel open")
	}
}

func TestKVWatchWakesWithTheChange(t *testing.T) {
	s := NewKVStore()
	s.Set("k", "a")
	const watchers = 3
	got := make(chan *KeyValue, watchers)
	for range watchers {
		go func() {
			kv, err := s.Watch(context.Background(), "k", 0)
			if err != nil {
				t.Error(err)
			}
			got <- kv
		}()
	}
	for s.Watching() < watchers {
		runtime.Gosched() // the watchers arrive without a clock to wait on
	}
	s.Set("k", "a") // wakes no one; the Set below does
	s.Set("k", "b")
	for range watchers {
		if kv := <-got; kv.GetValue() != "b" || kv.GetVersion() != 2 {
			t.Fatalf("Watch = %v; want value b, version 2", kv)
		}
	}
	if s.Watching() != 0 {
		t.Fatalf("Watching() = %d after every watch returned", s.Watching())
	}
}

func TestKVWatchTimeout(t *testing.T) {
	s := NewKVStore()
	_, err := s.Watch(context.Background(), "k", 1)
	if !errors.Is(err, ErrWatchTimeout) || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("Watch with nothing set = %v; want a timeout", err)
	}
	if _, n := waiting(s, "k"); n != 0 || len(s.keys) != 0 {
		t.Fatalf("after a timed-out watch of a key never set: %d watchers, %d keys; want none", n, len(s.keys))
	}
	if _, err := s.Watch(context.Background(), "k", -1); err == nil || !strings.Contains(err.Error(), "negative timeout") {
		t.Fatalf("Watch with a negative timeout = %v; want an error", err)
	}
}

// TestKVWatchTimeoutOutOfRange sends timeout_ms values that do not fit a
// Duration or are past MaxWatchTimeout: each is an error at once, never
// a watch without a limit (math.MinInt64 once wrapped to 0).
func TestKVWatchTimeoutOutOfRange(t *testing.T) {
	kv := NewKV(context.Background(), NewKVStore(), nil)
	for _, ms := range []int64{math.MinInt64, -9_223_372_036_855, -1, MaxWatchTimeout.Milliseconds() + 1, math.MaxInt64} {
		err := kv.Watch(&WatchRequest{Key: "k", TimeoutMs: ms}, new(KeyValue))
		if err == nil || !strings.Contains(err.Error(), "timeout") || errors.Is(err, ErrWatchTimeout) {
			t.Errorf("KV.Watch with timeout_ms %d = %v; want an error about the timeout asked for", ms, err)
		}
	}
}

// TestKVLimits fills stores to each of their limits: the Set past one
// fails naming it and changes nothing; replacing a value within them
// still works.
func TestKVLimits(t *testing.T) {
	t.Run("keys", func(t *testing.T) {
		s := NewKVStoreLimited(KVLimits{MaxKeys: 3})
		for i := range 3 {
			if _, err := s.Set(fmt.Sprint("k", i), "v"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Set("k3", "v"); err == nil || !strings.Contains(err.Error(), "--kv-max-keys") {
			t.Fatalf("a fourth key with MaxKeys 3: %v; want an error naming --kv-max-keys", err)
		}
		if _, err := s.Get("k3"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("the refused key: %v; want not found", err)
		}
		if kv, err := s.Set("k0", "w"); err != nil || kv.GetVersion() != 2 {
			t.Fatalf("replacing a value at the limit = %v, %v; want version 2", kv, err)
		}
	})
	t.Run("bytes", func(t *testing.T) {
		s := NewKVStoreLimited(KVLimits{MaxBytes: kvKeyCost + 1 + 100})
		if _, err := s.Set("k", strings.Repeat("v", 100)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Set("k", strings.Repeat("v", 101)); err == nil || !strings.Contains(err.Error(), "--kv-max-bytes") {
			t.Fatalf("a value one byte past MaxBytes: %v; want an error naming --kv-max-bytes", err)
		}
		if _, err := s.Set("k", "small"); err != nil {
			t.Fatalf("a smaller value: %v", err)
		}
		if _, err := s.Set("j", "v"); err == nil {
			t.Fatal("a second key past MaxBytes was stored")
		}
	})
}

func TestKVWatchEndsWithItsContext(t *testing.T) {
	s := NewKVStore()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := s.Watch(ctx, "k", 0)
		done <- err
	}()
	for s.Watching() == 0 {
		runtime.Gosched()
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) || errors.Is(err, ErrWatchTimeout) {
		t.Fatalf("Watch whose context was cancelled = %v; want context.Canceled, not a timeout", err)
	}
	if s.Watching() != 0 || len(s.keys) != 0 {
		t.Fatalf("after the watch ended: %d watching, %d keys; want none", s.Watching(), len(s.keys))
	}
}

func TestKVNextMissesNoChange(t *testing.T) {
	s := NewKVStore()
	s.Set("k", "a")
	s.Set("k", "b")
	// A caller that saw version 1 gets the latest at once.
	if kv, err := s.Next(context.Background(), "k", 1); err != nil || kv.GetValue() != "b" || kv.GetVersion() != 2 {
		t.Fatalf("Next(after 1) = %v, %v; want b at version 2", kv, err)
	}
}

func TestKVOverRPC(t *testing.T) {
	kv := NewKV(context.Background(), NewKVStore(), nil)
	var reply KeyValue
	if err := kv.Set(&KeyValue{Key: "k", Value: "v"}, &reply); err != nil || reply.GetVersion() != 1 {
		t.Fatalf("KV.Set = %v, %v", &reply, err)
	}
	if err := kv.Get(&KeyValue{Key: "k"}, &reply); err != nil || reply.GetValue() != "v" {
		t.Fatalf("KV.Get = %v, %v", &reply, err)
	}
	if err := kv.Watch(&WatchRequest{Key: "k", TimeoutMs: 1}, &reply); err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("KV.Watch with no change = %v; want a timeout", err)
	}
}
