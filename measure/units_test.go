package measure

import (
	"strings"
	"testing"
)

// Every spelling of a metric derives from the unit table: each must name
// one metric only, and lead back to it.
func TestMetricNamesAreUniqueAndRoundTrip(t *testing.T) {
	all := append(Metrics(), ServerMetrics()...)
	seen := make(map[string]string) // spelling → the unit that has it
	claim := func(kind, spelling, unit string) {
		t.Helper()
		if spelling == "" {
			return
		}
		if other, ok := seen[kind+" "+spelling]; ok && other != unit {
			t.Errorf("%s %q is both %s's and %s's", kind, spelling, other, unit)
		}
		seen[kind+" "+spelling] = unit
	}
	for _, m := range all {
		claim("unit", m.Unit, m.Unit)
		claim("name", m.Name(), m.Unit)
		claim("name", strings.ReplaceAll(m.Name(), ".", ""), m.Unit)
		claim("column", m.Column, m.Unit)
		claim("tidy unit", m.Tidy(), m.Unit)
		if got, ok := MetricOf(m.Unit); !ok || got.Column != m.Column {
			t.Errorf("MetricOf(%q) = %q, %v", m.Unit, got.Unit, ok)
		}
	}
	for _, m := range Metrics() {
		// --fail-on name → metric → CSV column, and back.
		named, ok := MetricNamed(m.Name())
		if !ok || named.Unit != m.Unit {
			t.Errorf("MetricNamed(%q) = %q, %v; want %q", m.Name(), named.Unit, ok, m.Unit)
		}
		if m.Column == "" {
			continue
		}
		byColumn := ""
		for _, o := range Metrics() {
			if o.Column == named.Column {
				byColumn = o.Name()
			}
		}
		if byColumn != m.Name() {
			t.Errorf("column %q leads to %q, want %q", named.Column, byColumn, m.Name())
		}
	}
}

func TestMetricSpellings(t *testing.T) {
	tests := []struct {
		unit, name, column, tidy string
		ns, perOp                bool
	}{
		{UnitP50, "p50", "p50_ns", "p50-sec", true, false},
		{UnitP999, "p99.9", "p999_ns", "p99.9-sec", true, false},
		{UnitCPUPerOp, "cpu/op", "cpu_ns_per_op", "cpu-sec/op", true, true},
		{UnitNsPerOp, "ns/op", "", "sec/op", true, true},
		{UnitCallsPerSec, "calls/s", "calls_per_sec", "calls/s", false, false},
		{UnitBytesPerOp, "B/op", "alloc_bytes_per_op", "B/op", false, true},
		{UnitErrors, "errors", "errors", "errors", false, false},
	}
	for _, tt := range tests {
		m, ok := MetricOf(tt.unit)
		if !ok {
			t.Fatalf("no metric of unit %q", tt.unit)
		}
		if m.Name() != tt.name || m.Column != tt.column || m.Tidy() != tt.tidy || m.Nanoseconds() != tt.ns || m.PerOp() != tt.perOp {
			t.Errorf("%s: name %q, column %q, tidy %q, ns %v, per op %v; want %q, %q, %q, %v, %v",
				tt.unit, m.Name(), m.Column, m.Tidy(), m.Nanoseconds(), m.PerOp(), tt.name, tt.column, tt.tidy, tt.ns, tt.perOp)
		}
	}
	if m, ok := MetricNamed("p999"); !ok || m.Unit != UnitP999 {
		t.Errorf(`MetricNamed("p999") = %q, %v; want %q`, m.Unit, ok, UnitP999)
	}
	if m, ok := MetricNamed("p98"); ok {
		t.Errorf(`MetricNamed("p98") = %q; want none`, m.Unit)
	}
}
