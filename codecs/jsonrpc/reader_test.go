package jsonrpc

import (
	"strings"
	"testing"
)

// TestScannerChunks feeds messages split at every byte and checks that
// the scanner finds the same end wherever the split falls: a string,
// an escape or a bracket may straddle two reads.
func TestScannerChunks(t *testing.T) {
	tests := []struct{ msg, tail string }{
		{`{}`, ""},
		{`{"a":[1,{"b":"}]"}]}`, `{"next":1}`},
		{`{"s":"a\"b\\","t":"\\\"}"}`, " \n"},
		{`{"p":"` + strings.Repeat("QUFB", 100) + `"}`, `]`},
		{`{"k":"[[[{{{\\\\\\","n":[[[]]]}`, "x"},
		// Quotes and backslashes on either side of the 32 bytes that
		// stringStop looks at one by one.
		{`{"l":"` + strings.Repeat("b", 31) + `\"]` + strings.Repeat("c", 40) + `\\","m":"` + strings.Repeat("d", 33) + `"}`, "]"},
	}
	for _, tt := range tests {
		in := tt.msg + tt.tail
		for split := range len(in) + 1 {
			var s scanner
			end, deep := s.feed([]byte(in[:split]))
			if end < 0 {
				var rest int
				rest, deep = s.feed([]byte(in[split:]))
				if rest >= 0 {
					end = split + rest
				}
			}
			if deep || end != len(tt.msg) {
				t.Errorf("%q split at %d: end %d, deep %v; want %d", in, split, end, deep, len(tt.msg))
			}
		}
	}
}

func TestScannerDepth(t *testing.T) {
	var s scanner
	in := strings.Repeat(`[{"a":`, maxDepth/2) + "[x"
	end, deep := s.feed([]byte(in))
	if !deep || end != len(in)-2 {
		t.Fatalf("%d-deep value: end %d, deep %v; want deep at offset %d", maxDepth+1, end, deep, len(in)-2)
	}
}

func TestFirstElement(t *testing.T) {
	tests := []struct{ params, want, err string }{
		{`[]`, "", ""},
		{` [ ] `, "", ""},
		{`[{"a":"]"},2]`, `{"a":"]"}`, ""},
		{`[ [1,[2]] ]`, `[1,[2]]`, ""},
		{`["a\"],b",1]`, `"a\"],b"`, ""},
		{`[12.5e3]`, `12.5e3`, ""},
		{`[null , 1]`, `null`, ""},
		{`{"a":1}`, "", "are not an array"},
		{`7`, "", "are not an array"},
		{`[{"a":1`, "", "end inside their first element"},
		{`["abc`, "", "end inside their first element"},
		{`[true`, "", "end inside their first element"},
	}
	for _, tt := range tests {
		got, err := firstElement([]byte(tt.params))
		if string(got) != tt.want || (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("firstElement(%s) = %s, %v; want %s, error containing %q", tt.params, got, err, tt.want, tt.err)
		}
	}
}
