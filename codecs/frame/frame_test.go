package frame

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
)

func TestReadPrefixed(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		want    string
		wantErr error
	}{
		{"a whole frame", append(AppendPrefix(nil, 5), "hello"...), "hello", nil},
		{"an empty frame", AppendPrefix(nil, 0), "", nil},
		{"no prefix at all", nil, "", io.EOF},
		{"half a prefix", []byte{0, 0}, "", io.ErrUnexpectedEOF},
		{"a body cut short", append(AppendPrefix(nil, 5), "he"...), "", io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadPrefixed(bytes.NewReader(tt.in), nil, 1<<10)
			if !errors.Is(err, tt.wantErr) || (err == nil && string(got) != tt.want) {
				t.Fatalf("ReadPrefixed = %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestAnOversizedPrefixIsRefusedBeforeReading(t *testing.T) {
	_, err := ReadPrefixed(bytes.NewReader([]byte{0xff, 0xff, 0xff, 0xf0}), nil, DefaultMax)
	var tl *TooLargeError
	if !errors.As(err, &tl) || !strings.Contains(err.Error(), "4294967280") || !strings.Contains(err.Error(), "67108864") {
		t.Fatalf("error = %v; want a TooLargeError naming 4294967280 and 67108864", err)
	}
}

func TestMemoryFollowsTheBytesThatArrive(t *testing.T) {
	claim := AppendPrefix(nil, 60<<20)
	in := append(claim, "ten bytes!"...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := ReadPrefixed(bytes.NewReader(in), nil, DefaultMax)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("error = %v; want io.ErrUnexpectedEOF", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Fatalf("a 60 MiB claim followed by 10 bytes allocated %d bytes; want well under 1 MiB", got)
	}
}

func TestReadReusesTheBuffer(t *testing.T) {
	buf := make([]byte, 0, 64)
	got, err := Read(strings.NewReader("abcdef"), buf, 6)
	if err != nil || string(got) != "abcdef" || &got[:1][0] != &buf[:1][0] {
		t.Fatalf("Read = %q, %v, reusing the buffer: %v", got, err, err == nil && &got[:1][0] == &buf[:1][0])
	}
	if allocs := testing.AllocsPerRun(100, func() { Read(strings.NewReader("abcdef"), buf, 6) }); allocs > 1 {
		t.Fatalf("Read into a large enough buffer allocated %v times; want at most the reader's one", allocs)
	}
}
