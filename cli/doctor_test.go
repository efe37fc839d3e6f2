package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/rpcbench/rpcbench/doctor"
)

func TestDoctorGolden(t *testing.T) {
	for name, args := range map[string][]string{
		"help-doctor":       {"doctor", "--help"},
		"doctor-bad-format": {"doctor", "--format", "xml"},
		"doctor-argument":   {"doctor", "now"},
	} {
		t.Run(name, func(t *testing.T) { golden(t, name, args...) })
	}
}

func TestDoctorWritesItsReportAsJSON(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), &stdout, &stderr, []string{"doctor", "--quick", "--format", "json"}); err != nil {
		t.Fatalf("doctor: %v\n%s", err, stderr.String())
	}
	var r doctor.Report
	dec := json.NewDecoder(&stdout)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatal(err)
	}
	if len(r.Timers) == 0 || r.Loopback.N == 0 || r.Noise.Level == "" {
		t.Errorf("a report without its figures: %+v", r)
	}
}
