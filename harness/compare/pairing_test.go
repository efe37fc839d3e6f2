package compare_test

import (
	"reflect"
	"testing"

	"github.com/rpcbench/rpcbench/harness/compare"
)

func TestMismatches(t *testing.T) {
	const base = "RPC/codec=gob/transport=tcp/payload=arith/conc=1"
	tests := []struct {
		name     string
		old, cur []string
		want     []compare.Mismatch
	}{
		{"exact names pair", []string{base}, []string{base}, nil},
		{"a GOMAXPROCS suffix is not configuration", []string{base + "-2"}, []string{base + "-1"}, nil},
		{"another codec is another benchmark", []string{base}, []string{"RPC/codec=json/transport=tcp/payload=arith/conc=1/work=1ms"}, nil},
		{"another conc is another benchmark", []string{base}, []string{"RPC/codec=gob/transport=tcp/payload=arith/conc=16/conns=4"}, nil},
		{"an added key is named", []string{base}, []string{base + "/work=200us"},
			[]compare.Mismatch{{base, base + "/work=200us", []compare.KeyDiff{{"work", "", "200us"}}}}},
		{"a changed value is named", []string{base + "/rate=1000"}, []string{base + "/rate=2000"},
			[]compare.Mismatch{{base + "/rate=1000", base + "/rate=2000", []compare.KeyDiff{{"rate", "1000", "2000"}}}}},
		{"a flag key is named", []string{base + "/busy"}, []string{base},
			[]compare.Mismatch{{base + "/busy", base, []compare.KeyDiff{{"busy", "on", ""}}}}},
		{"the closest partner is chosen", []string{base + "/net=lan/pipeline=8"}, []string{base, base + "/pipeline=8"},
			[]compare.Mismatch{{base + "/net=lan/pipeline=8", base + "/pipeline=8", []compare.KeyDiff{{"net", "lan", ""}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := compare.Mismatches(tt.old, tt.cur); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
