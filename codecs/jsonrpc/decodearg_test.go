package jsonrpc

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/rpcbench/rpcbench/service"
)

// FuzzDecodeArg holds decodeArg's shortcut (decode what lies between the
// brackets, and only when that fails find the first element) to the long
// way: for any params array, into a typed argument or an untyped one, the
// same value and the same error.
func FuzzDecodeArg(f *testing.F) {
	for _, params := range []string{
		`[{"a":2,"b":3}]`, `[ {"a":2,"b":3} , 5, "x"]`, `[]`, `[ ]`, `[null]`, `[7]`, `[{"a":"six"}]`,
		`[{"a":1},{"a":2,"b":9}]`, `[{"records":[{"id":1,"name":"x","tags":["a"],"counters":{"r":1}}]}]`,
		`[{"records":[{"counters":{"r":1}}]},{"records":[{"counters":{"w":2}}]}]`, `["a\"],b",1]`, `[1,[2]]`,
	} {
		f.Add(params)
	}
	targets := []func() any{
		func() any { return &service.Args{A: 5, B: 6} },
		func() any {
			return &service.RecordBatch{Records: []*service.Record{{Name: "kept", Counters: map[string]int64{"k": 1}}}}
		},
		func() any { v := any(map[string]any{"k": 1}); return &v },
	}
	lib := Goccy{}
	f.Fuzz(func(t *testing.T, params string) {
		if !json.Valid([]byte(params)) {
			return // the message was decoded whole before: params are valid JSON
		}
		for _, target := range targets {
			short, long := target(), target()
			errShort, errLong := decodeArg(lib, []byte(params), short), decodeFirstElement(lib, []byte(params), long)
			if (errShort == nil) != (errLong == nil) || errShort != nil && errShort.Error() != errLong.Error() {
				t.Fatalf("params %s into %T: error %v, the long way %v", params, short, errShort, errLong)
			}
			if !reflect.DeepEqual(marshal(t, short), marshal(t, long)) {
				t.Fatalf("params %s into %T: %s, the long way %s", params, short, marshal(t, short), marshal(t, long))
			}
		}
	})
}

func marshal(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
