package msgpack

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"

	"github.com/rpcbench/rpcbench/service"
)

// The library's struct codec knows one name per field (from one struct
// tag), but the service's structs should be written under their JSON names,
// which foreign clients expect, and read under those or their Go names. So
// each service struct gets a codec of its own, registered with the library
// for the struct type: nested structs (RecordBatch's records) use it too.
func init() {
	for _, typ := range service.Messages() {
		sc := newStructCodec(typ)
		msgpack.Register(reflect.Zero(typ).Interface(), sc.encode, sc.decode)
	}
}

// structCodec writes a struct as a map of every exported field under its
// JSON name, and reads one keyed by JSON or Go names, skipping other keys.
type structCodec struct {
	fields []structField
	byName map[string]int // JSON and Go names to an index into fields
}

type structField struct {
	name  string // the JSON name
	index int
	enc   func(*msgpack.Encoder, reflect.Value) error // the field's encoder
	dec   func(*msgpack.Decoder, reflect.Value) error // the field's decoder
}

func newStructCodec(t reflect.Type) *structCodec {
	sc := &structCodec{byName: make(map[string]int)}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() { // protobuf's state, sizeCache and unknownFields
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		field := structField{name: name, index: i, enc: (*msgpack.Encoder).EncodeValue, dec: (*msgpack.Decoder).DecodeValue}
		switch f.Type {
		case reflect.TypeFor[int64]():
			field.enc, field.dec = encodeInt, decodeInt
		case reflect.TypeFor[string]():
			field.enc, field.dec = encodeString, decodeString
		case reflect.TypeFor[float64]():
			field.enc, field.dec = encodeFloat, decodeFloat
		case reflect.TypeFor[bool]():
			field.enc, field.dec = encodeBool, decodeBool
		case reflect.TypeFor[[]string]():
			field.enc = encodeStrings
		case reflect.TypeFor[map[string]int64]():
			field.enc, field.dec = encodeCounters, decodeCounters
		}
		sc.fields = append(sc.fields, field)
		sc.byName[name] = len(sc.fields) - 1
		sc.byName[f.Name] = len(sc.fields) - 1
	}
	return sc
}

// The library encodes and decodes a []string and a map[string]int64 by
// reflection, which costs an allocation per map key and value read or
// written and one per []string written (a Record's Tags and Counters: 3,800
// allocations a call of 100 records, of which these were 1,800), and it
// finds the function for every value, scalars too, in a sync.Map keyed by
// type (a tenth of the CPU time on records). These do what the library's
// own functions for these types do, with the types in hand, and write the
// same bytes: nil as nil, ints as compactly as UseCompactInts writes them,
// which the codec's encoders always set.

func encodeInt(e *msgpack.Encoder, v reflect.Value) error    { return e.EncodeInt(v.Int()) }
func encodeString(e *msgpack.Encoder, v reflect.Value) error { return e.EncodeString(v.String()) }
func encodeFloat(e *msgpack.Encoder, v reflect.Value) error  { return e.EncodeFloat64(v.Float()) }
func encodeBool(e *msgpack.Encoder, v reflect.Value) error   { return e.EncodeBool(v.Bool()) }

func decodeInt(d *msgpack.Decoder, v reflect.Value) error {
	x, err := d.DecodeInt64()
	if err == nil {
		v.SetInt(x)
	}
	return err
}

func decodeString(d *msgpack.Decoder, v reflect.Value) error {
	x, err := d.DecodeString()
	if err == nil {
		v.SetString(x)
	}
	return err
}

func decodeFloat(d *msgpack.Decoder, v reflect.Value) error {
	x, err := d.DecodeFloat64()
	if err == nil {
		v.SetFloat(x)
	}
	return err
}

func decodeBool(d *msgpack.Decoder, v reflect.Value) error {
	x, err := d.DecodeBool()
	if err == nil {
		v.SetBool(x)
	}
	return err
}

func encodeStrings(e *msgpack.Encoder, v reflect.Value) error {
	if !v.CanAddr() { // a struct passed by value: rare, and the library copes
		return e.EncodeValue(v)
	}
	list := *v.Addr().Interface().(*[]string)
	if list == nil {
		return e.EncodeNil()
	}
	if err := e.EncodeArrayLen(len(list)); err != nil {
		return err
	}
	for _, s := range list {
		if err := e.EncodeString(s); err != nil {
			return err
		}
	}
	return nil
}

func encodeCounters(e *msgpack.Encoder, v reflect.Value) error {
	m := v.Interface().(map[string]int64)
	if m == nil {
		return e.EncodeNil()
	}
	if err := e.EncodeMapLen(len(m)); err != nil {
		return err
	}
	for k, n := range m {
		if err := e.EncodeString(k); err != nil {
			return err
		}
		if err := e.EncodeInt(n); err != nil {
			return err
		}
	}
	return nil
}

// maxMapHint bounds the room made for a map before its entries arrive: a
// count is checked against the bytes of the message, but an entry of two
// bytes on the wire takes tens in a Go map.
const maxMapHint = 1024

// decodeCounters decodes into the map already there, as the library does,
// or a new one.
func decodeCounters(d *msgpack.Decoder, v reflect.Value) error {
	n, err := d.DecodeMapLen()
	if err != nil {
		return err
	}
	if n == -1 {
		v.SetZero()
		return nil
	}
	m := v.Interface().(map[string]int64)
	if m == nil {
		m = make(map[string]int64, min(n, maxMapHint))
		v.Set(reflect.ValueOf(m))
	}
	for range n {
		k, err := d.DecodeString()
		if err != nil {
			return err
		}
		if m[k], err = d.DecodeInt64(); err != nil {
			return err
		}
	}
	return nil
}

func (sc *structCodec) encode(e *msgpack.Encoder, v reflect.Value) error {
	if err := e.EncodeMapLen(len(sc.fields)); err != nil {
		return err
	}
	for _, f := range sc.fields {
		if err := e.EncodeString(f.name); err != nil {
			return err
		}
		if err := f.enc(e, v.Field(f.index)); err != nil {
			return err
		}
	}
	return nil
}

func (sc *structCodec) decode(d *msgpack.Decoder, v reflect.Value) error {
	if err := notExt(d); err != nil {
		return err
	}
	n, err := d.DecodeMapLen()
	if err != nil {
		return err
	}
	if n == -1 {
		v.SetZero()
		return nil
	}
	for range n {
		key, err := structKey(d)
		if err != nil {
			return err
		}
		i, ok := sc.byName[string(key)]
		if !ok {
			err = d.Skip()
		} else if err = notExt(d); err == nil {
			f := sc.fields[i]
			err = f.dec(d, v.Field(f.index))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// notExt fails on an extension value where a struct or field is due. The
// library's DecodeMapLen reads a map header from inside an extension, whose
// bytes the reader took as opaque, and it sizes a Go map by the count it
// finds there (up to a million entries from a few bytes).
func notExt(d *msgpack.Decoder) error {
	c, err := d.PeekCode()
	if err != nil {
		return err
	}
	if msgpcode.IsExt(c) {
		return fmt.Errorf("msgpack: extension value (type byte 0x%02x) where a map or field is expected", c)
	}
	return nil
}

// structKey reads a map key. From a codec's message it lends the key's bytes
// rather than allocate a string per key, as the library's own struct
// decoding does; other readers (msgpack.Unmarshal) get a copy.
func structKey(d *msgpack.Decoder) ([]byte, error) {
	m, ok := d.Buffered().(*message)
	if !ok {
		s, err := d.DecodeString()
		return []byte(s), err
	}
	n, err := d.DecodeBytesLen()
	if err != nil {
		return nil, err
	}
	return m.take(max(n, 0))
}

// decodeMap decodes a map inside a generic value: a map[string]any when
// every key is a string (or binary), so that the value prints as JSON, and
// a map[any]any otherwise. The library's default assumes string keys.
func decodeMap(d *msgpack.Decoder) (any, error) {
	n, err := d.DecodeMapLen()
	if err != nil || n == -1 {
		return nil, err
	}
	m := make(map[string]any, n)
	var other map[any]any // once a key is not a string
	for range n {
		k, err := d.DecodeInterface()
		if err != nil {
			return nil, err
		}
		v, err := d.DecodeInterface()
		if err != nil {
			return nil, err
		}
		if b, ok := k.([]byte); ok {
			k = string(b)
		}
		if s, ok := k.(string); ok && other == nil {
			m[s] = v
			continue
		}
		if k != nil && !reflect.TypeOf(k).Comparable() {
			return nil, fmt.Errorf("msgpack: map key of type %T", k)
		}
		if other == nil {
			other = make(map[any]any, n)
			for s, v := range m {
				other[s] = v
			}
		}
		other[k] = v
	}
	if other != nil {
		return other, nil
	}
	return m, nil
}

// errorText renders a response's error value, which MessagePack-RPC lets be
// of any type: strings as they are, other values as JSON where they can be
// (Neovim sends [code, "message"]).
func errorText(v any) string {
	switch v := v.(type) {
	case string:
		if v == "" {
			return "unspecified error"
		}
		return v
	case []byte:
		return errorText(string(v))
	}
	if b, err := json.Marshal(v); err == nil {
		return string(b)
	}
	return fmt.Sprint(v)
}
