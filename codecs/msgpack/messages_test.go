package msgpack

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/rpcbench/rpcbench/service"
)

// TestEveryServiceMessageTravelsUnderJSONNames checks each message the
// service declares, Stats.Read's included, against the field names it is
// written under: its JSON names, which foreign clients expect.
func TestEveryServiceMessageTravelsUnderJSONNames(t *testing.T) {
	for _, typ := range service.Messages() {
		b, err := msgpack.Marshal(reflect.New(typ).Interface())
		if err != nil {
			t.Fatalf("%v: %v", typ, err)
		}
		var m map[string]any
		if err := msgpack.Unmarshal(b, &m); err != nil {
			t.Fatalf("%v: written as %x, not a map: %v", typ, b, err)
		}
		var want []string
		for i := range typ.NumField() {
			if f := typ.Field(i); f.IsExported() {
				name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
				want = append(want, name)
			}
		}
		got := slices.Sorted(func(yield func(string) bool) {
			for k := range m {
				if !yield(k) {
					return
				}
			}
		})
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%v travels under %v; want its JSON names %v", typ, got, want)
		}
	}
}
