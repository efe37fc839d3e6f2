package measure

import (
	"strings"

	"golang.org/x/perf/benchfmt"
)

// A Name is a benchmark name taken apart: its base ("RPC"), its key=value
// parts in order, and the GOMAXPROCS suffix go test adds. It is the one
// place rpcbench's names are built (harness names every configuration
// with it) and read (compare pairs, gate finds the floor, hdrlog labels
// with it):
//
//	RPC/codec=msgpack/transport=tcp/payload=bytes:1KiB/conc=16/busy-2
type Name struct {
	Base  string
	Parts []Part
	// Procs is the GOMAXPROCS suffix as written ("-2"), or "".
	Procs string
}

// A Part is one /key=value part of a name; a part without "=" (/busy,
// /auth) is a flag, whose presence is its value.
type Part struct {
	Key, Value string
	Flag       bool
}

// ParseName takes s apart; String puts it back together as it was.
func ParseName(s string) Name {
	base, parts := benchfmt.Name(s).Parts()
	n := Name{Base: string(base)}
	for _, p := range parts {
		if p[0] != '/' {
			n.Procs = string(p)
			continue
		}
		k, v, ok := strings.Cut(string(p[1:]), "=")
		n.Parts = append(n.Parts, Part{Key: k, Value: v, Flag: !ok})
	}
	return n
}

// Add appends the part key=value, or the flag key when value is "".
func (n *Name) Add(key, value string) {
	n.Parts = append(n.Parts, Part{Key: key, Value: value, Flag: value == ""})
}

// Get returns the value of key and whether the name has it ("" for a
// flag).
func (n Name) Get(key string) (string, bool) {
	for _, p := range n.Parts {
		if p.Key == key {
			return p.Value, true
		}
	}
	return "", false
}

// Stack returns the name's stack identity (its codec= or peer= part), and
// false for a name without one, such as plain go test output.
func (n Name) Stack() (StackID, bool) {
	for _, p := range n.Parts {
		if id, err := ParseID(p.String()); err == nil {
			return id, true
		}
	}
	return StackID{}, false
}

// String is the name as written.
func (n Name) String() string {
	var b strings.Builder
	b.WriteString(n.Base)
	for _, p := range n.Parts {
		b.WriteString("/" + p.String())
	}
	b.WriteString(n.Procs)
	return b.String()
}

// String is the part as written: key=value, or the flag's key.
func (p Part) String() string {
	if p.Flag {
		return p.Key
	}
	return p.Key + "=" + p.Value
}
