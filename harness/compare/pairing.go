package compare

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rpcbench/rpcbench/measure"
)

// IdentityKeys are the name keys that say what a row measures: rows that
// agree on them are the same benchmark, and every other key (work=,
// pipeline=, rate=, net=, ...) is a configuration the two runs must share
// before their figures may be compared.
func IdentityKeys() []string { return []string{"codec", "peer", "transport", "payload", "conc"} }

// A KeyDiff is one configuration key whose value differs between a
// baseline row and its would-be partner; "" means the key is absent (its
// default).
type KeyDiff struct {
	Key      string
	Old, New string
}

func (d KeyDiff) String() string {
	show := func(v string) string {
		if v == "" {
			return "(default)"
		}
		return v
	}
	return fmt.Sprintf("%s: baseline %s, new %s", d.Key, show(d.Old), show(d.New))
}

// A Mismatch is a baseline row with no partner of the same name, but one
// with the same identity keys and a different configuration.
type Mismatch struct {
	Old, New string // the two names
	Diffs    []KeyDiff
}

// A MismatchError refuses a comparison of runs that measured different
// configurations under the same identity: pairing them would compare,
// say, a server that thinks for 200µs per call with one that does not.
type MismatchError struct {
	OldLabel, NewLabel string
	Mismatches         []Mismatch
}

// Keys lists the differing keys, each once, in order of first appearance.
func (e *MismatchError) Keys() []string {
	var keys []string
	for _, m := range e.Mismatches {
		for _, d := range m.Diffs {
			if !slices.Contains(keys, d.Key) {
				keys = append(keys, d.Key)
			}
		}
	}
	return keys
}

func (e *MismatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "configuration mismatch in %s: %s and %s measured the same codec or peer, transport, payload and conc under different configurations; refusing to compare them",
		strings.Join(e.Keys(), ", "), e.OldLabel, e.NewLabel)
	for i, m := range e.Mismatches {
		if i == 5 {
			fmt.Fprintf(&b, "\n  and %d more", len(e.Mismatches)-i)
			break
		}
		diffs := make([]string, len(m.Diffs))
		for j, d := range m.Diffs {
			diffs[j] = d.String()
		}
		fmt.Fprintf(&b, "\n  %s\n    vs %s\n    (%s)", m.Old, m.New, strings.Join(diffs, "; "))
	}
	return b.String()
}

// Mismatches returns the rows of old (names) that have no exact partner
// in cur but a partner with the same identity keys and different
// configuration keys. A GOMAXPROCS suffix is neither identity nor
// configuration: the gate and compare deal with it on their own.
func Mismatches(old, cur []string) []Mismatch {
	type parsed struct {
		name string
		id   string
		conf map[string]string
	}
	byID := make(map[string][]parsed)
	exact := make(map[string]bool)
	for _, n := range cur {
		id, conf := nameKeys(n)
		exact[id+"\x00"+canonical(conf)] = true
		byID[id] = append(byID[id], parsed{n, id, conf})
	}
	var out []Mismatch
	for _, n := range old {
		id, conf := nameKeys(n)
		if exact[id+"\x00"+canonical(conf)] {
			continue
		}
		var best []KeyDiff
		var partner string
		for _, p := range byID[id] {
			d := diffKeys(conf, p.conf)
			if len(d) > 0 && (best == nil || len(d) < len(best)) {
				best, partner = d, p.name
			}
		}
		if best != nil {
			out = append(out, Mismatch{Old: n, New: partner, Diffs: best})
		}
	}
	return out
}

// nameKeys splits a benchmark name into its identity (the base name and
// the identity keys, as written) and its configuration keys. A part with
// no "=" (/busy, /auth) is a key whose presence is its value.
func nameKeys(name string) (id string, conf map[string]string) {
	n := measure.ParseName(name)
	conf = make(map[string]string)
	ids := measure.Name{Base: n.Base}
	for _, p := range n.Parts {
		switch {
		case slices.Contains(IdentityKeys(), p.Key):
			ids.Parts = append(ids.Parts, p)
		case p.Flag:
			conf[p.Key] = "on"
		default:
			conf[p.Key] = p.Value
		}
	}
	return ids.String(), conf
}

func canonical(conf map[string]string) string {
	keys := make([]string, 0, len(conf))
	for k := range conf {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString("/" + k + "=" + conf[k])
	}
	return b.String()
}

// diffKeys lists the keys whose values differ, sorted.
func diffKeys(old, cur map[string]string) []KeyDiff {
	var keys []string
	for k := range old {
		keys = append(keys, k)
	}
	for k := range cur {
		if _, ok := old[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []KeyDiff
	for _, k := range keys {
		if old[k] != cur[k] {
			out = append(out, KeyDiff{k, old[k], cur[k]})
		}
	}
	return out
}

// names lists f's benchmark names, each once, in order of appearance.
func (f *File) names() []string {
	var out []string
	seen := make(map[string]bool)
	for _, r := range f.Results {
		if n := string(r.Name); !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// CheckPairing returns a *MismatchError if base has rows that cur
// measured under a different configuration, nil otherwise.
func CheckPairing(base, cur *File) error {
	if m := Mismatches(base.names(), cur.names()); len(m) > 0 {
		return &MismatchError{OldLabel: base.Label, NewLabel: cur.Label, Mismatches: m}
	}
	return nil
}
