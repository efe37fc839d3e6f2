package service

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDivideByZero(t *testing.T) {
	err := new(Arith).Divide(&Args{A: 7, B: 0}, new(Quotient))
	if err == nil || !strings.Contains(err.Error(), "division by zero") {
		t.Fatalf("Divide(7, 0) = %v; want a division by zero error", err)
	}
}

func TestPanickingHandlerFailsItsCallOnly(t *testing.T) {
	err := new(Arith).Multiply(&Args{A: 6, B: 7}, nil) // nil reply: the handler panics
	if err == nil || !strings.Contains(err.Error(), "panicked") {
		t.Fatalf("Multiply with a nil reply = %v; want the panic as the call's error", err)
	}
}

func TestValuesCoverEveryMethod(t *testing.T) {
	for _, m := range []string{"Arith.Multiply", "Arith.Divide", "Echo.Echo", "Echo.Records", "Stats.Read", "KV.Set", "KV.Get", "KV.Watch"} {
		if args, reply, ok := Values(m); !ok || args == nil || reply == nil {
			t.Errorf("Values(%q) = %v, %v, %v", m, args, reply, ok)
		}
	}
	if _, _, ok := Values("Arith.Nope"); ok {
		t.Error(`Values("Arith.Nope") reported a method`)
	}
}

// fakeClock is a clock that sleeping advances.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time        { return c.t }
func (c *fakeClock) sleep(d time.Duration) { c.t = c.t.Add(d) }
func (c *fakeClock) delay(d *Delay) *Delay { d.now, d.sleep = c.now, c.sleep; return d }

func TestDelayStallsCallsInsideTheWindow(t *testing.T) {
	epoch := time.Unix(1000, 0)
	tests := []struct {
		name string
		at   time.Duration // since epoch
		want time.Duration // time Wait takes, 1ms of work included
	}{
		{"a call at the start of a stall waits all of it", 0, 51 * time.Millisecond},
		{"a call inside a stall waits for the rest", 30 * time.Millisecond, 21 * time.Millisecond},
		{"a call after the stall only works", 50 * time.Millisecond, time.Millisecond},
		{"a call in the next period's stall waits", 1010 * time.Millisecond, 41 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fakeClock{t: epoch.Add(tt.at)}
			d := clock.delay(&Delay{Work: time.Millisecond, StallEvery: time.Second, StallFor: 50 * time.Millisecond, Epoch: epoch})
			start := clock.t
			d.Wait()
			if got := clock.t.Sub(start); got != tt.want {
				t.Fatalf("Wait took %v; want %v", got, tt.want)
			}
		})
	}
}

func TestDelayWorksAtLeastItsWork(t *testing.T) {
	d := &Delay{Work: 200 * time.Microsecond}
	start := time.Now()
	d.Wait()
	if got := time.Since(start); got < d.Work {
		t.Fatalf("Wait returned after %v, before its work of %v", got, d.Work)
	}
}

func TestParseStall(t *testing.T) {
	if every, dur, err := ParseStall("1s:50ms"); err != nil || every != time.Second || dur != 50*time.Millisecond {
		t.Fatalf(`ParseStall("1s:50ms") = %v, %v, %v`, every, dur, err)
	}
	for _, bad := range []string{"1s", "50ms:1s", "x:1ms", "1s:", "0s:0s"} {
		if _, _, err := ParseStall(bad); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("ParseStall(%q) error = %v; want one naming the value", bad, err)
		}
	}
}

func TestMessagesListsEveryServiceType(t *testing.T) {
	got := make(map[reflect.Type]bool)
	for _, typ := range Messages() {
		if typ.Kind() != reflect.Struct {
			t.Errorf("Messages() lists %v, a %v; want structs", typ, typ.Kind())
		}
		got[typ] = true
	}
	for _, method := range []string{"Arith.Multiply", "Arith.Divide", "Echo.Echo", "Echo.Records", "Stats.Read"} {
		args, reply, ok := Values(method)
		if !ok {
			t.Fatalf("Values(%q) = not ok", method)
		}
		for _, v := range []any{args, reply} {
			if typ := reflect.TypeOf(v).Elem(); !got[typ] {
				t.Errorf("Messages() lacks %v, which %s carries", typ, method)
			}
		}
	}
	if typ := reflect.TypeOf(Record{}); !got[typ] {
		t.Errorf("Messages() lacks %v, which RecordBatch nests", typ)
	}
}
