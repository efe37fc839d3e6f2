package codectest

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/rpcbench/rpcbench/service"
)

// AddValueSeeds seeds f, whose fuzz function takes the arguments of Values,
// with numbers at their edges, bytes of every value, and strings with
// unicode, invalid UTF-8, HTML and control characters and many commas.
func AddValueSeeds(f *testing.F) {
	f.Add(int64(6), int64(7), 0.25, true, "record-1", []byte("hello"))
	f.Add(int64(0), int64(0), 0.0, false, "", []byte{})
	f.Add(int64(math.MinInt64), int64(math.MaxInt64), math.Inf(1), true, "ünïcode ✓ <&> \u2028\u2029", []byte{0, 0xff, 0xfe})
	f.Add(int64(-1), int64(1<<53+1), 1e21, false, "a\xffb\xed\xa0\x80c\x00\x1f\"\\/", bytes.Repeat([]byte{0xaa}, 1000))
	f.Add(int64(1), int64(2), 5e-324, true, "k\x7f,k2\u00e9,\U0001F600,\xc3", []byte("\n\t"))
	f.Add(int64(3), int64(-3), -0.0000001, false, "A,a,B,b,\u017f,s,K,\u212a", []byte(nil))
	f.Add(int64(1e15), int64(-1e18), 123456789.5e3, false, "large", []byte("numbers")) // a float that 'g' formatting would write with an exponent
	f.Add(int64(200), int64(-200), math.NaN(), true, strings.Repeat("x", 40)+","+strings.Repeat("y", 300), bytes.Repeat([]byte{1}, 70000))
}

// Values builds one value of each service message type, and generic ones
// as rpcbench call sends them, from a fuzzer's arguments, for the
// differential fuzz tests that prove a codec's library writes the bytes of
// its format's reference library (AddValueSeeds seeds them).
func Values(a, b int64, score float64, flag bool, s string, payload []byte) []any {
	// Strings split at commas give the tags, map keys and record names, so
	// that one input string makes many distinct ones.
	// At most maxParts of them: every record shares the map of counters, and
	// more would make each input cost the square of its length, leaving the
	// fuzzer stalled on long strings instead of trying new ones.
	const maxParts = 32
	parts := bytes.SplitN([]byte(s), []byte(","), maxParts)
	counters := make(map[string]int64, len(parts))
	var tags []string
	for i, p := range parts {
		counters[string(p)] = a + int64(i)*b
		tags = append(tags, string(p))
	}
	var records []*service.Record
	for i, p := range parts {
		r := &service.Record{Id: a * int64(i), Name: string(p), Score: score * float64(i), Flag: flag != (i%2 == 0), Timestamp: b - int64(i)}
		if i%2 == 0 {
			r.Tags, r.Counters = tags[i:], counters
		}
		records = append(records, r)
	}
	generic := map[string]any{"": s, "nested": map[string]any{"list": []any{float64(a), score, s, flag, nil}}}
	for _, p := range parts {
		generic[string(p)] = float64(b)
	}
	return []any{
		&service.Args{A: a, B: b},
		&service.Product{Value: a},
		&service.Quotient{Quo: a, Rem: b},
		&service.EchoRequest{Payload: payload},
		&service.EchoReply{Payload: payload},
		&service.Record{Id: a, Name: s, Score: score, Flag: flag, Tags: tags, Counters: counters, Timestamp: b},
		&service.RecordBatch{Records: records},
		&service.RecordBatch{Records: []*service.Record{{}, nil}},
		&generic,
		&s,
		&payload,
	}
}
