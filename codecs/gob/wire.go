package gob

import (
	"errors"
	"fmt"

	"github.com/rpcbench/rpcbench/codecs/internal/limits"
)

// This file checks gob messages before encoding/gob decodes them. gob
// checks a string's or a slice's length against the bytes left in its
// message, but it makes a map with the count the peer sends (a count of
// 1<<30 in a message of a few dozen bytes asks for tens of gigabytes), and
// it follows nested values without a depth limit. The check follows a value
// message through the wire types the stream has defined, as gob's decoder
// does, without decoding anything: every count is held to the bytes left,
// and nesting to maxDepth.

// Type ids that gob predefines (encoding/gob's package documentation lists
// them); ids from firstUserID on are defined by the stream.
const (
	tBool = 1 + iota
	tInt
	tUint
	tFloat
	tBytes
	tString
	tComplex
	tInterface
	firstUserID = 64
)

// maxDepth bounds how deeply a value may nest, as encoding/json bounds its
// decoding; the rpcbench service's values nest four levels.
const maxDepth = limits.MaxDepth

var errInterface = errors.New("gob: interface values are not accepted: gob spreads them over several messages, which this codec cannot bound")

type kind uint8

const (
	kindStruct kind = iota + 1
	kindList        // slice or array: a count, then that many elements
	kindMap         // a count, then that many key and element pairs
	kindBytes       // GobEncoder, BinaryMarshaler, TextMarshaler: a byte string
)

// wireType is what the check needs of one of gob's wire types.
type wireType struct {
	kind      kind
	key, elem int   // a map's key and a list's or map's element type ids
	fields    []int // a struct's field type ids, by field number
}

// types holds the wire types a stream has defined, by type id.
type types map[int]*wireType

// check checks one message: it records a type definition, or follows a
// value through its type.
func (t types) check(msg []byte) error {
	d := wire{msg}
	id, err := d.int()
	if err != nil {
		return err
	}
	if id < 0 {
		return t.define(&d, -id)
	}
	wt := t[int(id)]
	if wt != nil && wt.kind == kindStruct {
		return t.walkStruct(&d, wt, 0, true)
	}
	// Anything else travels as a struct's only field: a 0 delta, the value.
	if _, err := d.uint(); err != nil {
		return err
	}
	return t.walk(&d, int(id), 0)
}

// known reports whether a value of type id may travel on the stream: gob
// predefines it, or the stream has defined it.
func (t types) known(id int) bool {
	return (id >= tBool && id <= tInterface) || t[id] != nil
}

func (t types) walk(d *wire, id, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("gob: value nests deeper than %d levels", maxDepth)
	}
	switch id {
	case tBool, tInt, tUint, tFloat:
		_, err := d.uint()
		return err
	case tComplex:
		_, err := d.uint()
		if err == nil {
			_, err = d.uint()
		}
		return err
	case tBytes, tString:
		return d.skip()
	case tInterface:
		n, err := d.uint()
		if err == nil && n != 0 { // 0 is the empty name of a nil interface
			err = errInterface
		}
		return err
	}
	wt := t[id]
	if wt == nil {
		return fmt.Errorf("gob: value of undefined type id %d", id)
	}
	switch wt.kind {
	case kindStruct:
		return t.walkStruct(d, wt, depth, false)
	case kindList:
		n, err := d.count("list", 1)
		for ; err == nil && n > 0; n-- {
			err = t.walk(d, wt.elem, depth+1)
		}
		return err
	case kindMap:
		n, err := d.count("map", 2)
		for ; err == nil && n > 0; n-- {
			if err = t.walk(d, wt.key, depth+1); err == nil {
				err = t.walk(d, wt.elem, depth+1)
			}
		}
		return err
	default: // kindBytes
		return d.skip()
	}
}

// walkStruct follows a struct's fields: each a delta to its field number
// and the field's value, until a 0 delta or, at the top of a message, its end.
func (t types) walkStruct(d *wire, wt *wireType, depth int, top bool) error {
	field := -1
	for !top || len(d.b) > 0 {
		delta, err := d.uint()
		if err != nil || delta == 0 {
			return err
		}
		if delta >= uint64(len(wt.fields)-field) {
			return fmt.Errorf("gob: field %d+%d of a struct with %d fields", field, delta, len(wt.fields))
		}
		field += int(delta)
		if err := t.walk(d, wt.fields[field], depth+1); err != nil {
			return err
		}
	}
	return nil
}

// define records the definition of type id: gob's wireType struct, of which
// exactly one field is set:
//
//	wireType{ArrayT *arrayType; SliceT *sliceType; StructT *structType;
//	         MapT *mapType; GobEncoderT, BinaryMarshalerT, TextMarshalerT *gobEncoderType}
//	arrayType{CommonType; Elem typeId; Len int}
//	sliceType{CommonType; Elem typeId}
//	structType{CommonType; Field []fieldType}   fieldType{Name string; Id typeId}
//	mapType{CommonType; Key, Elem typeId}
//	gobEncoderType{CommonType}                  CommonType{Name string; Id typeId}
//
// A definition the check refuses never reaches gob, so the types gob knows
// are a subset of these and a value is always checked against its own type.
func (t types) define(d *wire, id int64) error {
	if id < firstUserID || id > 1<<31-1 {
		return fmt.Errorf("gob: definition of type id %d, outside the ids a stream defines", id)
	}
	if t[int(id)] != nil {
		return fmt.Errorf("gob: type id %d defined twice", id)
	}
	var wt *wireType
	err := d.fields(true, func(f int) error {
		if wt != nil {
			return fmt.Errorf("gob: definition of type id %d has more than one kind", id)
		}
		wt = new(wireType)
		switch f {
		case 0, 1: // arrayType, sliceType
			wt.kind = kindList
			return d.fields(false, func(f int) error {
				switch f {
				case 0:
					return d.commonType()
				case 1:
					return d.typeID(&wt.elem)
				}
				_, err := d.int() // an array's Len
				return err
			}, 2)
		case 2: // structType
			wt.kind = kindStruct
			return d.fields(false, func(f int) error {
				if f == 0 {
					return d.commonType()
				}
				n, err := d.count("struct field list", 1)
				for ; err == nil && n > 0; n-- {
					var field int
					err = d.fields(false, func(f int) error {
						if f == 0 {
							return d.skip() // Name
						}
						return d.typeID(&field)
					}, 1)
					wt.fields = append(wt.fields, field)
				}
				return err
			}, 1)
		case 3: // mapType
			wt.kind = kindMap
			return d.fields(false, func(f int) error {
				switch f {
				case 0:
					return d.commonType()
				case 1:
					return d.typeID(&wt.key)
				}
				return d.typeID(&wt.elem)
			}, 2)
		default: // gobEncoderType in one of three roles
			wt.kind = kindBytes
			return d.fields(false, func(int) error { return d.commonType() }, 0)
		}
	}, 6)
	switch {
	case err != nil:
		return err
	case wt == nil:
		return fmt.Errorf("gob: definition of type id %d has no kind", id)
	case len(d.b) > 0:
		return fmt.Errorf("gob: %d bytes follow the definition of type id %d", len(d.b), id)
	}
	t[int(id)] = wt
	return nil
}

// wire reads gob's encodings from the bytes of one message.
type wire struct{ b []byte }

var errShort = errors.New("gob: value runs past the end of its message")

// uint reads an unsigned integer: one byte below 0x80, or a byte holding
// minus the number of big-endian bytes that follow.
func (d *wire) uint() (uint64, error) {
	if len(d.b) == 0 {
		return 0, errShort
	}
	c := d.b[0]
	if c < 0x80 {
		d.b = d.b[1:]
		return uint64(c), nil
	}
	n := -int(int8(c))
	if n > 8 {
		return 0, fmt.Errorf("gob: unsigned integer begins with invalid byte %#x", c)
	}
	if len(d.b) <= n {
		return 0, errShort
	}
	var x uint64
	for _, c := range d.b[1 : 1+n] {
		x = x<<8 | uint64(c)
	}
	d.b = d.b[1+n:]
	return x, nil
}

// int reads a signed integer: an unsigned one whose low bit is the sign.
func (d *wire) int() (int64, error) {
	x, err := d.uint()
	if x&1 != 0 {
		return ^int64(x >> 1), err
	}
	return int64(x >> 1), err
}

// count reads the count of a list or map whose elements take at least per
// bytes each, and holds it to the bytes left in the message.
func (d *wire) count(what string, per int) (int, error) {
	n, err := d.uint()
	if err == nil && n > uint64(len(d.b)/per) {
		err = fmt.Errorf("gob: %s of %d elements exceeds the %d bytes left in its message", what, n, len(d.b))
	}
	return int(n), err
}

// skip skips a string or byte slice: a count, then that many bytes.
func (d *wire) skip() error {
	n, err := d.count("string", 1)
	if err == nil {
		d.b = d.b[n:]
	}
	return err
}

func (d *wire) typeID(id *int) error {
	x, err := d.int()
	if err == nil && (x < 0 || x > 1<<31-1) {
		err = fmt.Errorf("gob: type id %d out of range", x)
	}
	*id = int(x)
	return err
}

// commonType skips a CommonType{Name string; Id typeId}.
func (d *wire) commonType() error {
	return d.fields(false, func(f int) error {
		if f == 0 {
			return d.skip()
		}
		_, err := d.int()
		return err
	}, 1)
}

// fields reads a struct of fields numbered 0 to last, calling fn for each
// field present to read its value. At the top of a message a struct may end
// with the message rather than with a 0 delta.
func (d *wire) fields(top bool, fn func(field int) error, last int) error {
	field := -1
	for !top || len(d.b) > 0 {
		delta, err := d.uint()
		if err != nil || delta == 0 {
			return err
		}
		if delta > uint64(last-field) {
			return fmt.Errorf("gob: field %d+%d of a type definition struct with %d fields", field, delta, last+1)
		}
		field += int(delta)
		if err := fn(field); err != nil {
			return err
		}
	}
	return nil
}
